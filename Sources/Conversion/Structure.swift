// Structure: the order records may come in, e.g. `(header detail+)+ trailer`, checked one record at a time.
//
// The expression is a regular expression over record names (`?`, `*`, `+`, `|`, parentheses), compiled to a
// Thompson automaton; reading keeps only the set of live states, so checking needs no memory per record.

/// A compiled structure expression over record names.
struct Structure: Sendable {
    private struct State: Sendable {
        var label: String?
        var next: [Int] = []
    }

    private let states: [State]
    private let start: Int
    private let accept: Int
    /// The expression as written.
    let text: String
    /// The record names the expression mentions, in order of first mention.
    let names: [String]

    /// The live states while checking a file.
    struct Cursor: Sendable {
        fileprivate var live: Set<Int>
        /// The sets of live states met so far (a DFA built lazily), the current one, and the moves between them
        /// by the record name's index in `names` (-1: none, -2: not known yet), so that a record costs one array
        /// look-up once its move is known.
        fileprivate var sets: [Set<Int>] = []
        fileprivate var numbers: [Set<Int>: Int] = [:]
        fileprivate var moves: [[Int]] = []
        fileprivate let nameCount: Int
        fileprivate var current = -1

        fileprivate init(live: Set<Int>, nameCount: Int) {
            self.live = live
            self.nameCount = nameCount
        }

        /// The number of `set`, made on first use.
        fileprivate mutating func number(_ set: Set<Int>) -> Int {
            if let known = numbers[set] { return known }
            sets.append(set)
            moves.append([Int](repeating: -2, count: nameCount))
            numbers[set] = sets.count - 1
            return sets.count - 1
        }
    }

    /// Compiles `text`; throws a message (without location) for a malformed expression.
    init(_ text: String) throws(StructureError) {
        self.text = text
        var tokens: [String] = []
        var word = ""
        for character in text {
            if character.isLetter || character.isNumber || character == "-" || character == "_" {
                word.append(character)
                continue
            }
            if !word.isEmpty { tokens.append(word) }
            word = ""
            if "()|?*+".contains(character) {
                tokens.append(String(character))
            } else if character != " " && character != "," {
                throw StructureError(message: "unexpected '\(character)'")
            }
        }
        if !word.isEmpty { tokens.append(word) }
        var builder = Builder(tokens: tokens)
        let fragment = try builder.alternation()
        guard builder.position == tokens.count else {
            throw StructureError(message: "unexpected '\(tokens[builder.position])'")
        }
        let accept = builder.add(State())
        builder.patch(fragment.ends, to: accept)
        states = builder.states
        start = fragment.start
        self.accept = accept
        var seen: [String] = []
        for token in tokens where !"()|?*+".contains(token) && !seen.contains(token) { seen.append(token) }
        names = seen
    }

    /// A cursor before the first record.
    var begin: Cursor { Cursor(live: closure([start]), nameCount: names.count) }

    /// The index in `names` of the record type `name`, nil when the expression does not mention it.
    func id(of name: String) -> Int? { names.firstIndex(of: name) }

    /// Moves past a record named `name`; false (cursor unchanged) when the structure does not allow it here.
    func advance(_ cursor: inout Cursor, over name: String) -> Bool {
        guard let id = id(of: name) else { return false }
        return advance(&cursor, over: id)
    }

    /// Moves past a record whose name is `names[id]`; false (cursor unchanged) when the structure does not allow it.
    func advance(_ cursor: inout Cursor, over id: Int) -> Bool {
        if cursor.current < 0 { cursor.current = cursor.number(cursor.live) }
        let known = cursor.moves[cursor.current][id]
        if known != -2 {
            guard known >= 0 else { return false }
            if known != cursor.current {
                cursor.current = known
                cursor.live = cursor.sets[known]
            }
            return true
        }
        let name = names[id]
        var next: [Int] = []
        for index in cursor.live where states[index].label == name { next += states[index].next }
        guard !next.isEmpty else {
            cursor.moves[cursor.current][id] = -1
            return false
        }
        let live = closure(next)
        let target = cursor.number(live)
        cursor.moves[cursor.current][id] = target
        cursor.current = target
        cursor.live = live
        return true
    }

    /// Whether the file may end here.
    func canEnd(_ cursor: Cursor) -> Bool { cursor.live.contains(accept) }

    /// The record names allowed next, for messages.
    func expected(_ cursor: Cursor) -> [String] {
        var result: [String] = []
        for index in cursor.live.sorted() {
            if let label = states[index].label, !result.contains(label) { result.append(label) }
        }
        return result
    }

    private func closure(_ seeds: [Int]) -> Set<Int> {
        var result = Set<Int>()
        var stack = seeds
        while let index = stack.popLast() {
            guard result.insert(index).inserted else { continue }
            if states[index].label == nil { stack += states[index].next }
        }
        return result
    }

    /// Thompson construction by recursive descent.
    private struct Builder {
        struct Fragment {
            var start: Int
            /// Label-less or labelled states whose `next` is still open.
            var ends: [Int]
        }

        let tokens: [String]
        var position = 0
        var states: [State] = []

        init(tokens: [String]) { self.tokens = tokens }

        mutating func add(_ state: State) -> Int {
            states.append(state)
            return states.count - 1
        }

        mutating func patch(_ ends: [Int], to target: Int) {
            for end in ends { states[end].next.append(target) }
        }

        mutating func alternation() throws(StructureError) -> Fragment {
            var branches = [try sequence()]
            while position < tokens.count && tokens[position] == "|" {
                position += 1
                branches.append(try sequence())
            }
            if branches.count == 1 { return branches[0] }
            let split = add(State(label: nil, next: branches.map(\.start)))
            return Fragment(start: split, ends: branches.flatMap(\.ends))
        }

        mutating func sequence() throws(StructureError) -> Fragment {
            var result: Fragment?
            while position < tokens.count && tokens[position] != "|" && tokens[position] != ")" {
                let term = try self.term()
                if let current = result {
                    patch(current.ends, to: term.start)
                    result = Fragment(start: current.start, ends: term.ends)
                } else {
                    result = term
                }
            }
            if let result { return result }
            let empty = add(State())
            return Fragment(start: empty, ends: [empty])
        }

        mutating func term() throws(StructureError) -> Fragment {
            var atom: Fragment
            let token = tokens[position]
            position += 1
            if token == "(" {
                atom = try alternation()
                guard position < tokens.count, tokens[position] == ")" else {
                    throw StructureError(message: "a '(' is not closed")
                }
                position += 1
            } else if "?*+".contains(token) || token == ")" {
                throw StructureError(message: "'\(token)' must follow a record name or a group")
            } else {
                let state = add(State(label: token))
                atom = Fragment(start: state, ends: [state])
            }
            guard position < tokens.count, "?*+".contains(tokens[position]) else { return atom }
            let quantifier = tokens[position]
            position += 1
            let split = add(State(label: nil, next: [atom.start]))
            switch quantifier {
            case "?":
                return Fragment(start: split, ends: atom.ends + [split])
            case "*":
                patch(atom.ends, to: split)
                return Fragment(start: split, ends: [split])
            default:
                patch(atom.ends, to: split)
                return Fragment(start: atom.start, ends: [split])
            }
        }
    }
}

/// Why a structure expression could not be compiled.
struct StructureError: Error {
    let message: String
}
