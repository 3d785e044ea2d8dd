import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension SandboxConfiguration {
    /// Where bundles go unless configured: a directory of the server's user, never a fixed name
    /// in the world-writable temporary directory, where another local user could create it first
    /// and plant links in it. Root (whose workers run as `nobody`) uses `/var/cache/gatehouse/bundles`,
    /// whose parents `nobody` can traverse; other users `$XDG_CACHE_HOME/gatehouse/bundles`
    /// (`~/.cache/gatehouse/bundles`). Either way `prepareBundlesDirectory` refuses a directory
    /// another user owns.
    public static func defaultBundlesDirectory() -> String {
        if geteuid() == 0 { return "/var/cache/gatehouse/bundles" }
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/gatehouse/bundles" }
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory()
        return home + "/.cache/gatehouse/bundles"
    }

    /// Creates the bundles directory when missing, before any worker starts: Node's permission
    /// model must find it there (and, for a fresh install, the first action with dependencies
    /// must not fail with `ERR_ACCESS_DENIED` until a restart). Returns warnings to log: an
    /// existing directory that others could write to is narrowed to the bundle modes.
    @discardableResult
    public func prepareBundlesDirectory() throws -> [String] {
        try Self.prepareDirectory(bundlesDirectory, mode: workerGroupID == nil ? 0o700 : 0o750, groupID: workerGroupID)
    }

    /// Creates `path` (and missing parents, traversable by all so that the workers' user can
    /// reach it) owned by the server's user with `mode`. An existing `path` must be a directory of
    /// the server's user, not a link; wider modes than `mode` are narrowed, with a warning.
    static func prepareDirectory(_ path: String, mode: mode_t, groupID: UInt32?) throws -> [String] {
        let fileManager = FileManager.default
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, !fileManager.fileExists(atPath: parent) {
            try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw DependencyInstaller.Failure(description: "cannot create the bundles directory \(path): errno \(errno)")
        }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw DependencyInstaller.Failure(description: "the bundles directory \(path) is not a directory (a link is refused)")
        }
        guard info.st_uid == geteuid() else {
            throw DependencyInstaller.Failure(
                description: "the bundles directory \(path) belongs to user \(info.st_uid), not to this server's user \(geteuid()): "
                    + "remove it or set GATEHOUSE_BUNDLES_DIR to a directory of this user")
        }
        var warnings: [String] = []
        if info.st_mode & 0o777 & ~mode != 0 {
            warnings.append(
                "the bundles directory \(path) had mode \(String(info.st_mode & 0o777, radix: 8)); narrowed to \(String(mode, radix: 8))")
        }
        if let groupID, info.st_gid != groupID, chown(path, geteuid(), groupID) != 0 {
            throw DependencyInstaller.Failure(description: "cannot give the bundles directory \(path) to group \(groupID): errno \(errno)")
        }
        guard chmod(path, mode) == 0 else {
            throw DependencyInstaller.Failure(description: "cannot set the mode of the bundles directory \(path): errno \(errno)")
        }
        return warnings
    }
}
