// DocumentsResources: where the schemas shipped with the Documents module are on disk (the copied Schemas folder).

import Foundation

/// Paths of the resource files bundled with the Documents module.
public enum DocumentsResources {
    /// The folder holding the bundled schemas.
    public static var schemasDirectory: String {
        // The Schemas folder is copied whole into the module's resource bundle.
        Bundle.module.resourceURL?.appendingPathComponent("Schemas").path ?? "Schemas"
    }

    /// The path of `sed-envelope-1.xsd`, the schema of the SED root, envelope and content wrapper.
    public static var envelopeSchemaPath: String {
        schemasDirectory + "/sed-envelope-1.xsd"
    }
}
