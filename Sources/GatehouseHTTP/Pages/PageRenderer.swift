import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Server-rendered HTML pages from the Mustache templates shipped as resources.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    static func load() async throws -> PageRenderer {
        guard let directory = Bundle.module.resourceURL?.appendingPathComponent("Templates").path else {
            throw PageError.templatesMissing
        }
        return PageRenderer(library: try await MustacheLibrary(directory: directory))
    }

    enum PageError: Error {
        case templatesMissing
    }

    /// Renders `template` with `values`; HTML pages are never cached and never framed.
    func render(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response
    {
        let html = library.render(values, withTemplate: template) ?? "<!doctype html><title>Error</title><p>Page unavailable.</p>"
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'",
        ]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func errorPage(title: String, description: String, status: HTTPResponse.Status = .badRequest) -> Response {
        render("error", ["title": "Error", "heading": "Something went wrong", "error": title, "description": description], status: status)
    }

    /// OAuth 2.0 Form Post Response Mode: an auto-submitting form to the client's redirect URI.
    func formPost(action: String, fields: [(String, String)]) -> Response {
        var response = render(
            "form_post", ["action": action, "fields": fields.map { ["name": $0.0, "value": $0.1] }])
        // The page submits itself with an inline handler; allow exactly that.
        response.headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'unsafe-inline'; form-action *"
        return response
    }
}
