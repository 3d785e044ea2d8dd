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

    /// Renders `template` with `values` in the request's branding (`PageEnvironment`) and in
    /// `language`: the caller chooses it (a login transaction's `ui_locales`, else the browser's
    /// `PageEnvironment.current.language`) once the texts it passes are in the catalogue; pages
    /// whose texts are not yet translated stay English, so `<html lang>` never claims a language
    /// the page does not speak. HTML pages are never cached and never framed.
    func render(
        _ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:],
        language: PageLanguage? = nil
    ) -> Response {
        let environment = PageEnvironment.current
        let messages = PageMessages(language ?? .english)
        var values = values
        values["lang"] = messages.language.code
        values["t"] = messages.templateValues
        values["brand"] = environment.theme.values
        values["password_toggle_script"] = PasswordToggleScript.source
        let html = library.render(values, withTemplate: template) ?? "<!doctype html><title>Error</title><p>Page unavailable.</p>"
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            .contentSecurityPolicy: Self.contentSecurityPolicy(environment.theme),
        ]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Nothing by default; inline styles (the theme's colours, checked by `PageTheme`); the one
    /// script by its hash; images and fonts only from the origins the branding names.
    static func contentSecurityPolicy(_ theme: PageTheme) -> String {
        var directives = [
            "default-src 'none'", "style-src 'unsafe-inline'", "script-src \(PasswordToggleScript.hashSource)",
        ]
        if !theme.imageOrigins.isEmpty { directives.append("img-src " + theme.imageOrigins.joined(separator: " ")) }
        if !theme.fontOrigins.isEmpty { directives.append("font-src " + theme.fontOrigins.joined(separator: " ")) }
        directives += ["base-uri 'none'", "form-action *", "frame-ancestors 'none'"]
        return directives.joined(separator: "; ")
    }

    func errorPage(title: String, description: String, status: HTTPResponse.Status = .badRequest, language: PageLanguage? = nil)
        -> Response
    {
        let messages = PageMessages(language ?? .english)
        return render(
            "error", ["title": messages[.error], "heading": messages[.errorHeading], "error": title, "description": description],
            status: status, language: language)
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
