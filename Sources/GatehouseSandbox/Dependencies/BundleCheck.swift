import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Checks an installed bundle before any worker may read it. Node's permission model compares
/// path text, so a link inside an allowed directory that leads outside it (`node_modules/evil →
/// /`) would open the whole file system to an action: a bundle may hold only directories, regular
/// files with a single link, and relative symbolic links that stay inside it (npm's own
/// `node_modules/.bin` links). A link is followed as the kernel follows it (`realpath(3)`, links
/// within its target included), and one that leads nowhere is refused too: what it names could
/// be created later, outside.
public enum BundleCheck {
    /// The first entry that breaks the rule, described; `nil` when the bundle is sound.
    public static func problem(in root: String) -> String? {
        let realRoot = realPath(root) ?? root
        return problem(inDirectory: realRoot, relative: "", root: realRoot, depth: 0)
    }

    /// `path` with every link resolved by the kernel, or `nil` when it leads nowhere.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func problem(inDirectory path: String, relative: String, root: String, depth: Int) -> String? {
        guard depth < 64 else { return "\(relative): directories nest too deeply" }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            return "\(relative.isEmpty ? "." : relative): cannot be listed"
        }
        for name in names.sorted() {
            let full = path + "/" + name
            let shown = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(full, &info) == 0 else { return "\(shown): cannot be examined" }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if let problem = problem(inDirectory: full, relative: shown, root: root, depth: depth + 1) { return problem }
            case S_IFREG:
                guard info.st_nlink == 1 else { return "\(shown) is a hard link to a file elsewhere" }
            case S_IFLNK:
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: full) else {
                    return "\(shown): unreadable link"
                }
                guard !target.hasPrefix("/") else { return "\(shown) is a link to an absolute path (\(target))" }
                guard let resolved = realPath(full) else { return "\(shown) is a link to nothing (\(target))" }
                guard resolved.hasPrefix(root + "/") else { return "\(shown) is a link that leads outside the bundle (\(target))" }
            default:
                return "\(shown) is neither a file, a directory nor a link"
            }
        }
        return nil
    }
}

/// The modes of the bundles directory and of what is installed in it: readable by the server's
/// user only, and by the workers' group when the server runs as root (workers run as `nobody`).
struct BundleModes {
    let readerGroupID: UInt32?

    var directoryMode: mode_t { readerGroupID == nil ? 0o700 : 0o750 }

    /// Creates the bundles directory when missing, with the bundle modes.
    func prepareRoot(_ path: String) throws {
        try SandboxConfiguration.prepareDirectory(path, mode: directoryMode, groupID: readerGroupID)
    }

    /// Gives every file and directory below `root` (and `root`) the bundle modes: owner read
    /// (and execute where it was executable, and on directories), the same for the reader group.
    func apply(below root: String) throws {
        try apply(to: root)
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return }
        while let relative = enumerator.nextObject() as? String {
            try apply(to: root + "/" + relative)
        }
    }

    private func apply(to path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw DependencyInstaller.Failure(description: "cannot examine \(path)") }
        let kind = info.st_mode & S_IFMT
        guard kind != S_IFLNK else { return }
        let executable = kind == S_IFDIR || info.st_mode & 0o111 != 0
        var mode: mode_t = executable ? 0o700 : 0o600
        if readerGroupID != nil { mode |= executable ? 0o050 : 0o040 }
        if let group = readerGroupID, lchown(path, geteuid(), group) != 0 {
            throw DependencyInstaller.Failure(description: "cannot give \(path) to group \(group): errno \(errno)")
        }
        guard chmod(path, mode) == 0 else {
            throw DependencyInstaller.Failure(description: "cannot set the mode of \(path): errno \(errno)")
        }
    }
}
