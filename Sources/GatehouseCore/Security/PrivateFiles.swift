import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Files only the server's user may read: the SQLite database (SQLite gives its `-wal` and
/// `-shm` files the database file's mode) and the master-key file. `docs/SECURITY.md`, "Files".
public enum PrivateFiles {
    /// Creates `path` empty with mode 0600 when it does not exist yet, so that what fills it later
    /// (SQLite) keeps that mode whatever the process's umask. An existing file is left as it is.
    public static func createIfMissing(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// Writes `contents` to `path` as a new file of mode 0600 (an existing file is replaced, not
    /// rewritten in place, so a file once made wider never keeps its mode).
    public static func writeNew(_ contents: String, to path: String) throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        try create(contents, at: path)
    }

    /// Creates `path` with `contents` and mode 0600 from its first byte (whatever the umask);
    /// fails, leaving it untouched, when `path` already exists.
    public static func create(_ contents: String, at path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CocoaError(errno == EEXIST ? .fileWriteFileExists : .fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
            written += count
        }
    }

    /// A warning for each existing file of `paths` that others than its owner may read or write.
    public static func wideModeWarnings(_ paths: [String]) -> [String] {
        paths.compactMap { path in
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return nil }
            return "\(path) has mode \(String(info.st_mode & 0o777, radix: 8)): others than its owner can read or change it; "
                + "run chmod 600 \(path)"
        }
    }

    /// Whether `path` exists with no access for group or others (tests, and the start-up check).
    public static func isPrivate(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & 0o077 == 0
    }
}
