import Foundation
import GatehouseCore

#if canImport(Glibc)
    import Glibc
#endif

/// Installed bundles are checked again, not only once after npm wrote them (`docs/SECURITY.md`,
/// "Dependencies"): a bundle marked `.complete` may have been altered on disk since — by another
/// process of the server's user, by a Gatehouse without `BundleCheck`, by a restore from a
/// backup — and every worker may read everything below the bundles directory (`PROTOCOL.md` §9).
/// A bundle that fails the check is removed and installed again from its declared dependencies,
/// with the allowed sources and the check of a fresh install. Checks run per start and per
/// build, never per flow.
extension DependencyInstaller {
    /// Re-checks the bundles directory before the pool's workers start: a link or file beside the
    /// bundles is removed, and a bundle that is incomplete or fails `BundleCheck` is reinstalled.
    /// Hidden directories are removals (`.discarded-…`), finished here, or installs in progress
    /// left by an older Gatehouse (`.staging-…`), removed too (installs are now written beside
    /// the bundles directory). Returns what was found, one sentence each, for the log.
    public func recheckBundles() async -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: bundlesDirectory) else { return [] }
        var findings: [String] = []
        for name in names.sorted() {
            let path = bundlesDirectory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                unlink(path)
                findings.append("\(path) was not a bundle but a link or a file: removed")
                continue
            }
            if name.hasPrefix(".discarded-") || name.hasPrefix(".staging-") { try? FileManager.default.removeItem(atPath: path) }
            guard !name.hasPrefix(".") else { continue }
            let problem =
                FileManager.default.fileExists(atPath: path + "/.complete")
                ? BundleCheck.problem(in: path) : "it is not marked complete"
            guard let problem else { continue }
            findings.append(await reinstall(path, because: problem))
        }
        return findings
    }

    /// Removes the bundle at `path` and installs it again from its manifest, which is trusted only
    /// when it names the dependency set whose key is the bundle's name.
    private func reinstall(_ path: String, because problem: String) async -> String {
        let declared = Self.declaredDependencies(of: path)
        do {
            try discard(path)
        } catch {
            return "\(Self.altered(path, problem)), and it could not be removed (\(error)): remove it by hand"
        }
        guard let declared, Self.bundleKey(declared) == (path as NSString).lastPathComponent else {
            return "\(Self.altered(path, problem)): removed; its manifest does not name its dependencies, so it is not reinstalled"
        }
        do {
            _ = try await install(declared)
            return "\(Self.altered(path, problem)): removed and installed again"
        } catch {
            return "\(Self.altered(path, problem)): removed; installing it again failed (\(error)), so the versions that use it "
                + "cannot load their dependencies until they are built again"
        }
    }

    static func altered(_ path: String, _ problem: String) -> String {
        "the dependency bundle \(path) was altered after it was installed (\(problem))"
    }

    /// The dependencies the bundle's `package.json` declares (written by `install`).
    private static func declaredDependencies(of bundle: String) -> [ActionDependency]? {
        guard let data = FileManager.default.contents(atPath: bundle + "/package.json"),
            let declared = JSONValue(jsonData: Array(data))?["dependencies"]?.objectValue, !declared.isEmpty
        else { return nil }
        var dependencies: [ActionDependency] = []
        for (name, version) in declared {
            guard let version = version.stringValue else { return nil }
            dependencies.append(ActionDependency(name: name, version: version))
        }
        return dependencies
    }

    /// Renames the bundle aside (no reader sees it half-removed, and a new install may take its
    /// place at once), then removes it; its links are removed, never followed.
    func discard(_ path: String) throws {
        let aside = bundlesDirectory + "/.discarded-" + RandomIdentifier.hex(byteCount: 8)
        guard rename(path, aside) == 0 else {
            if errno == ENOENT { return }  // Another install removed it first.
            throw Failure(description: "cannot move the bundle \(path) aside: errno \(errno)")
        }
        try FileManager.default.removeItem(atPath: aside)
    }
}
