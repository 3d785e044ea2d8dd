/// The npm packages legacy rules may `require` (`GATEHOUSE_RULES_MODULES`). Rules had no
/// per-rule dependencies: Auth0 offered a fixed module set and rules wrote
/// `require('name@version')`. Here the operator declares the set, as `name@version` specs
/// separated by commas or spaces; it is installed once, with the same containment as action
/// bundles (`DependencyInstaller`: no install scripts, no links out, checked), into one shared
/// bundle every rule's `require` resolves from. The operator's own setting: any source npm
/// accepts may be named (`lodash@4.17.21`, `tiny@file:/srv/pkgs/tiny-1.0.0.tgz`).
public struct RulesModules: Sendable, Equatable {
    public let dependencies: [ActionDependency]

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Parses the setting; `nil` or blank means no modules.
    public init(setting: String?) throws {
        let specs = (setting ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }).map(String.init)
        dependencies = try specs.map(Self.dependency)
    }

    /// `name@version` (a scoped `@scope/name@version` too) as a dependency.
    static func dependency(_ spec: String) throws -> ActionDependency {
        let searchStart = spec.hasPrefix("@") ? spec.index(after: spec.startIndex) : spec.startIndex
        guard let at = spec[searchStart...].firstIndex(of: "@") else {
            throw Invalid(description: "'\(spec)' has no version: write name@version (e.g. lodash@4.17.21)")
        }
        let name = String(spec[..<at])
        let version = String(spec[spec.index(after: at)...])
        guard DependencyInstaller.isValidName(name) else { throw Invalid(description: "'\(name)' is not an npm package name") }
        guard !version.isEmpty, !version.hasPrefix("-") else { throw Invalid(description: "'\(spec)' has no version") }
        return ActionDependency(name: name, version: version)
    }

    /// Installs the set once (a content-addressed bundle, reused on later starts) and returns its
    /// `node_modules` path, or `nil` without modules.
    public func install(with installer: DependencyInstaller) async throws -> String? {
        try await DependencyInstaller(
            bundlesDirectory: installer.bundlesDirectory, npm: installer.npm, registry: installer.registry,
            fetchRetries: installer.fetchRetries, sources: .anySource, readerGroupID: installer.readerGroupID
        ).install(dependencies)
    }
}
