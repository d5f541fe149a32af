// FunctionLibrary: placeholder; the function-library helper replaces this file.

/// The conversion function library (being written).
public enum ConversionFunctionsPlaceholder {}
