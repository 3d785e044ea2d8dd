import Foundation

/// Which npm dependency specs may be installed for an action (`docs/SECURITY.md`, "Dependencies").
///
/// A tenant declares registry dependencies only — a package name and an npm version, range or
/// dist-tag, as on Auth0 (`auth0-actions.md` §4.5). Anything npm would read from elsewhere — a
/// local directory or tarball (`file:`, `./pkg.tgz`), git, a URL, a GitHub shorthand, an alias —
/// is an operator's opt-in: `GATEHOUSE_ACTIONS_DEPENDENCY_SOURCES` lists the local directories
/// and URL prefixes that are allowed. The local runner (`gatehouse actions run`) installs what its
/// own user passes, so it allows any source.
public struct DependencySources: Sendable, Equatable {
    /// Absolute directories: a `file:/…` spec may name a package directory or tarball below one.
    public var directories: [String]
    /// `https://` or `http://` prefixes a tarball URL spec may start with.
    public var urlPrefixes: [String]
    /// Every spec npm accepts (the local runner).
    public var allowsAnySource: Bool

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Registry dependencies only: what the Management API allows unless the operator says more.
    public static let registryOnly = DependencySources(directories: [], urlPrefixes: [], allowsAnySource: false)
    /// Any source (the local runner, on files its user passes).
    public static let anySource = DependencySources(directories: [], urlPrefixes: [], allowsAnySource: true)

    public init(directories: [String], urlPrefixes: [String], allowsAnySource: Bool = false) {
        self.directories = directories
        self.urlPrefixes = urlPrefixes
        self.allowsAnySource = allowsAnySource
    }

    /// Reads the operator's setting: comma-separated absolute directories and `http(s)://` prefixes.
    public init(setting: String) throws {
        var directories: [String] = []
        var prefixes: [String] = []
        for entry in setting.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            if entry.hasPrefix("https://") || entry.hasPrefix("http://") {
                guard URL(string: entry)?.host?.isEmpty == false, entry.hasSuffix("/") else {
                    throw Invalid(description: "a dependency source URL must be absolute and end with '/', got \(entry)")
                }
                prefixes.append(entry)
            } else if entry.hasPrefix("/") {
                let resolved = URL(fileURLWithPath: entry).standardizedFileURL.resolvingSymlinksInPath().path
                guard resolved != "/" else {
                    throw Invalid(description: "a dependency source directory cannot be the root directory")
                }
                directories.append(resolved)
            } else {
                throw Invalid(description: "a dependency source is an absolute directory or an http(s):// prefix, got \(entry)")
            }
        }
        self.init(directories: directories, urlPrefixes: prefixes)
    }

    /// Why `dependency` may not be installed, or `nil` when it may.
    public func problem(with dependency: ActionDependency) -> String? {
        let spec = dependency.version
        guard DependencyInstaller.isValidName(dependency.name) else { return "invalid npm package name: \(dependency.name)" }
        if allowsAnySource || Self.isRegistrySpec(spec) { return nil }
        if spec.hasPrefix("file:") {
            let path = String(spec.dropFirst("file:".count))
            guard path.hasPrefix("/"), !path.hasPrefix("//") else {
                return "\(dependency.name)@\(spec): a local dependency must be an absolute file: path"
            }
            let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            if directories.contains(where: { resolved.hasPrefix($0 + "/") }) { return nil }
        } else if urlPrefixes.contains(where: { spec.hasPrefix($0) }), !spec.contains("/../"), !spec.contains("#") {
            return nil
        }
        return "\(dependency.name)@\(spec): only npm registry versions (such as 1.2.3, ^1.2.0 or latest) may be declared; "
            + "local, git and URL sources need the operator's GATEHOUSE_ACTIONS_DEPENDENCY_SOURCES"
    }

    /// A version, a range or a dist-tag that npm resolves against the registry: no path, URL, git
    /// or alias syntax can be written with these characters, and names npm would take for a
    /// tarball file (`x.tgz`, `x.tar`, `x.tar.gz`) or a path (`./x`) are refused; `~/` cannot be
    /// written without a slash, so `~1.2.0` stays a range.
    public static func isRegistrySpec(_ spec: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.^~<>=|* +-")
        guard !spec.isEmpty, spec.count <= 256, spec.allSatisfy(allowed.contains) else { return false }
        guard !spec.hasPrefix("."), !spec.hasPrefix("-") else { return false }
        let lowered = spec.lowercased()
        return ![".tgz", ".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".zip"].contains(where: lowered.hasSuffix)
    }
}
