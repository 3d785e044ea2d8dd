import Foundation
import HTTPTypes
import Hummingbird

/// The dashboard's own static files (SwiftPM resources under `Dashboard/Assets`, read once at
/// start) and the editor library, served from where the system installed it
/// (`GATEHOUSE_CODEMIRROR_DIR`, Debian's `libjs-codemirror` by default) without being copied
/// into this repository.
struct DashboardAssets: Sendable {
    struct File: Sendable {
        let bytes: ByteBuffer
        let contentType: String
        let etag: String
    }

    let files: [String: File]
    let codemirrorDirectory: String

    /// The CodeMirror files the editor loads, in order (scripts, then styles).
    static let codemirrorScripts = [
        "lib/codemirror.js", "mode/javascript/javascript.js", "addon/edit/matchbrackets.js", "addon/edit/closebrackets.js",
        "addon/hint/show-hint.js", "addon/dialog/dialog.js", "addon/search/searchcursor.js", "addon/search/search.js",
        "addon/search/jump-to-line.js", "addon/lint/lint.js",
    ]
    static let codemirrorStyles = ["lib/codemirror.css", "addon/hint/show-hint.css", "addon/dialog/dialog.css", "addon/lint/lint.css"]

    static func load(codemirrorDirectory: String) throws -> DashboardAssets {
        guard let root = Bundle.module.resourceURL?.appendingPathComponent("Assets") else {
            throw HTTPError(.internalServerError, message: "The dashboard's assets are missing from the build.")
        }
        var files: [String: File] = [:]
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let name = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            let data = try Data(contentsOf: url)
            files[name] = File(
                bytes: ByteBuffer(bytes: data), contentType: contentType(of: name),
                etag: "\"\(data.count)-\(data.reduce(UInt64(5381)) { ($0 &* 33) &+ UInt64($1) })\"")
        }
        return DashboardAssets(files: files, codemirrorDirectory: codemirrorDirectory)
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last {
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json; charset=utf-8"
        case "html": "text/html; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }

    /// Whether the editor library is installed (its main script is readable).
    var codemirrorAvailable: Bool {
        FileManager.default.isReadableFile(atPath: codemirrorDirectory + "/lib/codemirror.js")
    }

    func text(_ name: String) -> String? { files[name].map { String(buffer: $0.bytes) } }

    /// `GET /dashboard/assets/{name}`: revalidated with an ETag, so a new server version is
    /// picked up at once.
    func asset(_ name: String, request: Request) -> Response {
        guard let file = files[name], !name.hasSuffix(".html") else { return Response(status: .notFound) }
        var headers: HTTPFields = [
            .contentType: file.contentType, .eTag: file.etag, .cacheControl: "no-cache",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
        if request.headers[.ifNoneMatch] == file.etag { return Response(status: .notModified, headers: headers) }
        headers[.contentLength] = String(file.bytes.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.bytes))
    }

    /// `GET /dashboard/codemirror/{path}`: a `.js` or `.css` file below the configured directory;
    /// nothing else, and no path that climbs out of it.
    func codemirror(_ path: String) -> Response {
        let allowed = path.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x2F
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard allowed, !segments.contains(where: { $0.isEmpty || $0.hasPrefix(".") }), path.hasSuffix(".js") || path.hasSuffix(".css"),
            let data = FileManager.default.contents(atPath: codemirrorDirectory + "/" + path)
        else { return Response(status: .notFound) }
        return Response(
            status: .ok,
            headers: [
                .contentType: Self.contentType(of: path), .cacheControl: "public, max-age=86400",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The `<script>` and `<link>` tags of the editor, or nothing when it is not installed.
    var codemirrorTags: String {
        guard codemirrorAvailable else { return "" }
        // Not loaded by the shell: `code-editor.js` loads these, in order, when an editor
        // opens, so the other pages do not fetch 600 kB of editor.
        let urls = (Self.codemirrorStyles + Self.codemirrorScripts).map { "/dashboard/codemirror/" + $0 }
        return "<meta name=\"gatehouse-codemirror\" content=\"\(urls.joined(separator: " "))\">"
    }
}
