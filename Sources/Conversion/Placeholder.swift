// Placeholder; the mapping-engine helper replaces this file.
enum ConversionPlaceholder {}
