// ConsoleCommands: `sedgate console user add | passwd | remove | list`: the console's users and their roles, kept in
// `<spool>/var/console.sqlite` beside the journal; the running node sees changes at once.

import ArgumentParser
import CommandSupport
import Console
import Foundation
import NodeSetup
import SedgateCore
import Spool

/// `sedgate console ...`.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "The operator console's users and roles.",
        subcommands: [ConsoleUserCommand.self])
}

/// `sedgate console user ...`.
struct ConsoleUserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Add, change, remove and list console users.",
        subcommands: [Add.self, Passwd.self, Remove.self, List.self])

    /// Opens the node's console database.
    static func store(_ options: ConfigOption) throws -> ConsoleStore {
        let configuration = try exitOnError { () throws(SedgateError) in try NodeConfiguration.load(options.config) }
        return try exitOnError { () throws(SedgateError) in
            try ConsoleStore(path: ConsoleNode.databasePath(varDirectory: configuration.spool.varDirectory))
        }
    }

    /// The roles given, checked.
    static func roles(_ texts: [String]) throws -> [ConsoleRole] {
        try texts.map { text in
            guard let role = ConsoleRole(text) else {
                throw ValidationError("'\(text)' is not a role; use \(ConsoleRole.syntax)")
            }
            return role
        }
    }

    /// The password: the first line of `file`, one line of standard input with --password-stdin, else typed at a
    /// prompt without echo.
    static func password(stdin: Bool, file: String?) throws -> String {
        let text: String?
        if let file {
            guard let content = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("--password-file \(file) cannot be read")
            }
            text = content.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        } else if stdin {
            text = readLine(strippingNewline: true)
        } else {
            text = getpass("Password: ").map { String(cString: $0) }
        }
        guard let text, text.count >= 12 else {
            throw ValidationError("a console password has 12 characters or more")
        }
        return text
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with one or more roles.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The user name.") var name: String
        @Option(name: .customLong("role"), help: "viewer, operator, admin, editor:CC or editor:CC:SECTOR (repeat).")
        var roles: [String] = []
        @Flag(help: "Read the password from standard input (one line) instead of a prompt.")
        var passwordStdin = false
        @Option(help: "Read the password from the first line of this file (for scripts).")
        var passwordFile: String?

        func run() async throws {
            guard !roles.isEmpty else { throw ValidationError("give at least one --role (\(ConsoleRole.syntax))") }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
                throw ValidationError("a user name has letters, digits, . _ - @")
            }
            let roles = try ConsoleUserCommand.roles(roles)
            let store = try ConsoleUserCommand.store(options)
            let password = try ConsoleUserCommand.password(stdin: passwordStdin, file: passwordFile)
            try exitOnError { () throws(SedgateError) in try store.addUser(name, password: password, roles: roles) }
            try? store.audit(
                user: "cli:" + ProcessInfo.processInfo.userName, address: "local", action: "user-add", target: name,
                outcome: "done: " + roles.map(\.description).joined(separator: ","))
            print("console user \(name) added (\(roles.map(\.description).joined(separator: ", ")))")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's password (and roles, with --role); ends the user's sessions and lock-out.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The user name.") var name: String
        @Option(name: .customLong("role"), help: "Replace the roles (repeat).")
        var roles: [String] = []
        @Flag(help: "Read the password from standard input (one line) instead of a prompt.")
        var passwordStdin = false
        @Option(help: "Read the password from the first line of this file (for scripts).")
        var passwordFile: String?
        @Flag(help: "Change the roles only, not the password.")
        var keepPassword = false

        func run() async throws {
            let roles = roles.isEmpty ? nil : try ConsoleUserCommand.roles(roles)
            let store = try ConsoleUserCommand.store(options)
            let password =
                keepPassword ? nil : try ConsoleUserCommand.password(stdin: passwordStdin, file: passwordFile)
            try exitOnError { () throws(SedgateError) in
                try store.setPassword(name, password: password, roles: roles)
            }
            try? store.audit(
                user: "cli:" + ProcessInfo.processInfo.userName, address: "local", action: "user-passwd",
                target: name,
                outcome: "done" + (roles.map { ": " + $0.map(\.description).joined(separator: ",") } ?? ""))
            print("console user \(name) changed")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user and end its sessions.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The user name.") var name: String

        func run() async throws {
            let store = try ConsoleUserCommand.store(options)
            try exitOnError { () throws(SedgateError) in try store.removeUser(name) }
            try? store.audit(
                user: "cli:" + ProcessInfo.processInfo.userName, address: "local", action: "user-remove",
                target: name, outcome: "done")
            print("console user \(name) removed")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The users and their roles.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let store = try ConsoleUserCommand.store(options)
            let users = try exitOnError { () throws(SedgateError) in try store.users() }
            if users.isEmpty { print("no console users; add one with `sedgate console user add NAME --role admin`") }
            for user in users { print("\(user.name)  \(user.roles.map(\.description).joined(separator: ","))") }
        }
    }
}
