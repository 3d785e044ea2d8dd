import Crypto
import Foundation
import GatehouseCore
import Logging

/// An npm dependency of an action version (`auth0-actions.md` §4.5): `{name, version}`, where the
/// version is anything npm accepts (`4.17.21`, `^1.2.0`, `file:/path/pkg.tgz`).
public struct ActionDependency: Codable, Hashable, Sendable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}

/// Installs a version's dependencies with npm into a content-addressed bundle: one directory per
/// distinct set, shared by every version that declares the same set, installed once.
///
/// npm runs with `--ignore-scripts` (no install scripts, so no code of the package runs at
/// install time), without audit or funding requests, against the configured registry, and with
/// `--install-links` (a local package is copied, not linked). Only the specs `sources` allows are
/// installed. Bundles are written into a directory beside the bundles directory, checked (`BundleCheck`: nothing in
/// them may lead outside them), given the bundle modes, and renamed into place when complete, so
/// a failed, refused or interrupted install never leaves a bundle behind. A complete bundle is
/// checked again each time it is reused, and every bundle when a pool starts (`recheckBundles`).
public struct DependencyInstaller: Sendable {
    public let bundlesDirectory: String
    public let npm: String
    /// `--registry`; `nil` uses npm's own configuration.
    public let registry: String?
    /// How often npm retries a failed fetch (1 s to 5 s apart).
    public let fetchRetries: Int
    /// Which specs may be installed.
    public let sources: DependencySources
    /// The group that may read bundles besides their owner: the workers' group when the server
    /// runs as root (they run as `nobody`); `nil` keeps bundles readable by their owner only.
    /// By default, that of a sandbox with the default configuration.
    public let readerGroupID: UInt32?
    /// Where a reused bundle that failed its new check is reported.
    public var logger = Logger(label: "gatehouse.dependencies")

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public init(
        bundlesDirectory: String, npm: String? = nil, registry: String? = nil, fetchRetries: Int = 2,
        sources: DependencySources = .registryOnly, readerGroupID: UInt32? = SandboxConfiguration.defaultWorkerGroupID
    ) {
        self.bundlesDirectory = bundlesDirectory
        self.npm = npm ?? SandboxConfiguration.findExecutable("npm") ?? "/usr/bin/npm"
        self.registry = registry
        self.fetchRetries = fetchRetries
        self.sources = sources
        self.readerGroupID = readerGroupID
    }

    /// Where installs are written before their check: a directory of the server's user beside the
    /// bundles directory (`<bundles>.staging`), on the same file system, outside what workers may
    /// read (`--allow-fs-read=<bundles>/`).
    var stagingDirectory: String {
        var root = bundlesDirectory
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        return root + ".staging"
    }

    /// The installer of a sandbox: its bundles directory, its workers' group, its allowed sources,
    /// its registry.
    public init(configuration: SandboxConfiguration, sources: DependencySources? = nil, registry: String? = nil) {
        self.init(
            bundlesDirectory: configuration.bundlesDirectory, registry: registry ?? configuration.npmRegistry,
            sources: sources ?? configuration.dependencySources, readerGroupID: configuration.workerGroupID)
    }

    /// The bundle's identity: SHA-256 of the sorted `name@version` list.
    public static func bundleKey(_ dependencies: [ActionDependency]) -> String {
        let canonical = dependencies.sorted { ($0.name, $0.version) < ($1.name, $1.version) }
            .map { "\($0.name)@\($0.version)" }.joined(separator: "\n")
        return SHA256.hash(data: Data(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Installs `dependencies` (once) and returns the bundle's `node_modules` path, or `nil` when
    /// there is nothing to install.
    public func install(_ dependencies: [ActionDependency]) async throws -> String? {
        guard !dependencies.isEmpty else { return nil }
        for dependency in dependencies {
            if let problem = sources.problem(with: dependency) { throw Failure(description: problem) }
        }
        let fileManager = FileManager.default
        let bundle = URL(fileURLWithPath: bundlesDirectory).appendingPathComponent(Self.bundleKey(dependencies))
        let modules = bundle.appendingPathComponent("node_modules")
        if fileManager.fileExists(atPath: bundle.appendingPathComponent(".complete").path) {
            guard let problem = BundleCheck.problem(in: bundle.path) else { return modules.path }
            try discard(bundle.path)
            logger.error("\(Self.altered(bundle.path, problem)): removed, installing it again")
        }

        let modes = BundleModes(readerGroupID: readerGroupID)
        try modes.prepareRoot(bundlesDirectory)
        // npm writes beside the bundles directory, never below it, where every worker may read:
        // an install is only visible to workers once it has passed the check.
        _ = try SandboxConfiguration.prepareDirectory(stagingDirectory, mode: 0o700, groupID: nil)
        let staging = URL(fileURLWithPath: stagingDirectory).appendingPathComponent(RandomIdentifier.hex(byteCount: 8))
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? fileManager.removeItem(at: staging) }
        let manifest: JSONValue = .object([
            "name": "gatehouse-action-bundle", "version": "1.0.0", "private": true,
            "dependencies": .object(
                Dictionary(dependencies.map { ($0.name, JSONValue.string($0.version)) }, uniquingKeysWith: { _, last in last })),
        ])
        try Data(manifest.jsonText().utf8).write(to: staging.appendingPathComponent("package.json"))
        var arguments = [
            "install", "--install-links", "--ignore-scripts", "--no-audit", "--no-fund", "--no-package-lock", "--omit=dev",
            "--no-update-notifier",
            "--cache", staging.appendingPathComponent(".npm-cache").path, "--loglevel=error",
            "--fetch-retries=\(fetchRetries)", "--fetch-retry-mintimeout=1000", "--fetch-retry-maxtimeout=5000",
        ]
        if let registry { arguments.append("--registry=\(registry)") }
        let (status, output) = try await Self.run(npm, arguments, in: staging.path)
        guard status == 0 else {
            throw Failure(description: "npm install failed (exit \(status)): \(output.suffix(2000))")
        }
        try? fileManager.removeItem(at: staging.appendingPathComponent(".npm-cache"))
        if let problem = BundleCheck.problem(in: staging.path) {
            throw Failure(
                description: "the installed dependencies were refused, none of them is used: \(problem). A link out of the "
                    + "bundle would let every action read what it leads to: remove or replace the package that installs it")
        }
        try Data().write(to: staging.appendingPathComponent(".complete"))
        try modes.apply(below: staging.path)
        do {
            try fileManager.moveItem(at: staging, to: bundle)
        } catch  where fileManager.fileExists(atPath: bundle.appendingPathComponent(".complete").path) {
            // Another install of the same set finished first: use it.
        }
        return modules.path
    }

    /// npm's rules for package names (scoped or not), to keep arguments from being options.
    public static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 214, !name.hasPrefix("."), !name.hasPrefix("-"), !name.hasPrefix("_") else { return false }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-._~@/")
        return name.unicodeScalars.allSatisfy(allowed.contains) && name.filter { $0 == "/" }.count <= (name.hasPrefix("@") ? 1 : 0)
    }

    /// Runs a command to completion off the cooperative pool; returns its status and combined output.
    static func run(_ executable: String, _ arguments: [String], in directory: String) async throws -> (Int32, String) {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        do {
            let (termination, output) = try await ChildProcess.run(
                executable, arguments, environment: ["PATH": path, "HOME": directory], in: directory)
            return (termination.signaled ? 128 + termination.status : termination.status, output)
        } catch {
            throw Failure(description: "cannot run \(executable): \(error)")
        }
    }
}
