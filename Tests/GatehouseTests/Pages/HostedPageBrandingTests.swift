import Crypto
import Foundation
import GatehouseCore
import Hummingbird
import Testing

@Suite("Hosted pages: the tenant's branding, the show-password toggle and the Content-Security-Policy")
struct HostedPageBrandingTests {
    /// The login page of a fresh `/authorize`, as a browser would open it.
    static func loginPage(_ client: TestClient, app: Fixtures.App, extra: String = "", headers: HTTPFields = [:]) async throws
        -> TestClient.Reply
    {
        let authorize = try await client.request(
            .get,
            "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)&scope=openid&state=s\(extra)"
        )
        let location = try #require(authorize.location)
        #expect(location.hasPrefix("/u/login"), "\(authorize.status) \(authorize.text)")
        return try await client.request(.get, location, headers: headers)
    }

    static func directives(_ reply: TestClient.Reply) -> [String: String] {
        let policy = reply.headers[.contentSecurityPolicy] ?? ""
        return Dictionary(
            policy.split(separator: ";").map { directive -> (String, String) in
                let parts = directive.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }, uniquingKeysWith: { first, _ in first })
    }

    @Test("a branded login page shows the logo and favicon, uses the colours, and its CSP allows images from the logo's origin only")
    func brandedLogin() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp(name: "Acme Portal")
            let patched = try await client.json(
                .patch, "/api/v2/branding",
                .object([
                    "colors": .object([
                        "primary": "#ff6600",
                        "page_background": .object(["type": "linear-gradient", "start": "#102030", "end": "#abc", "angle_deg": 45]),
                    ]),
                    "logo_url": "https://cdn.example.com/acme/logo.png?v=2&size=large",
                    "favicon_url": "https://static.example.org/favicon.ico",
                ]), token: fixtures.token)
            #expect(patched.status == .ok, "\(patched.text)")

            let page = try await Self.loginPage(client, app: app)
            #expect(page.status == .ok)
            #expect(page.text.contains("Log in to Acme Portal"), "the application's name stays on the page")
            #expect(
                page.text.contains(#"<img class="logo" id="brand-logo" src="https://cdn.example.com/acme/logo.png?v=2&amp;size=large""#),
                "\(page.text)")
            #expect(page.text.contains(#"<link rel="icon" href="https://static.example.org/favicon.ico">"#))
            #expect(page.text.contains("--primary: #ff6600;"))
            #expect(page.text.contains("--on-primary: #111827;"), "dark text on a light orange button")
            #expect(page.text.contains("--page-background: linear-gradient(45deg, #102030, #abc);"))

            let csp = Self.directives(page)
            #expect(csp["default-src"] == "'none'")
            #expect(csp["img-src"] == "https://cdn.example.com https://static.example.org", "\(page.headers[.contentSecurityPolicy] ?? "")")
            #expect(csp["font-src"] == nil)
            #expect(csp["frame-ancestors"] == "'none'")

            // Every hosted page wears it, the error page too.
            let expired = try await client.request(.get, "/u/login?state=nope")
            #expect(expired.text.contains("brand-logo") && expired.text.contains("--primary: #ff6600;"))
        }
    }

    @Test("without branding the page keeps its own colours, shows no logo, and its CSP allows no images")
    func unbranded() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let page = try await Self.loginPage(client, app: app)
            #expect(!page.text.contains("<img") && !page.text.contains("rel=\"icon\""))
            #expect(page.text.contains("--primary: #1d4ed8;") && page.text.contains("--page-background: #f3f4f6;"))
            #expect(Self.directives(page)["img-src"] == nil)
        }
    }

    @Test("a value stored around the API (a hand-edited database) is still never written into the page")
    func storedValuesCheckedAgain() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let hostile = #"""
                {"colors":{"primary":"#fff;}</style><script>alert(1)</script>","page_background":"url(https://evil.example/x)"},
                 "logo_url":"javascript:alert(1)","favicon_url":"data:image/png;base64,AAAA","font":{"url":"https://e.example/f\");}"}}
                """#
            try await client.server.services.storage.transaction { try await $0.tenant.set("branding", hostile) }
            let page = try await Self.loginPage(client, app: app)
            #expect(page.status == .ok)
            #expect(!page.text.contains("alert(1)") && !page.text.contains("evil.example") && !page.text.contains("data:image"))
            #expect(!page.text.contains("e.example"))
            #expect(page.text.contains("--primary: #1d4ed8;"), "the default colours instead")
            #expect(Self.directives(page)["img-src"] == nil && Self.directives(page)["font-src"] == nil)
        }
    }

    @Test("the show-password toggle: a hidden button per password field, shown by the one script the CSP allows by its hash")
    func passwordToggle() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let login = try await Self.loginPage(client, app: app)
            let button =
                #"<button type="button" class="reveal" data-reveals="password" aria-controls="password" aria-pressed="false" aria-label="Show password" hidden>"#
            #expect(login.text.contains(button), "\(login.text)")
            // The form still submits without JavaScript: the field stays a password field named "password".
            #expect(login.text.contains(#"<input type="password" id="password" name="password""#))

            let scripts = login.text.components(separatedBy: "<script>").dropFirst().map { $0.components(separatedBy: "</script>")[0] }
            #expect(scripts.count == 1)
            let script = try #require(scripts.first)
            let hash = Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString()
            let csp = Self.directives(login)
            #expect(csp["script-src"] == "'sha256-\(hash)'", "the CSP allows exactly the page's script: \(csp)")
            #expect(csp["default-src"] == "'none'" && csp["base-uri"] == "'none'")
            #expect(!(csp["script-src"] ?? "").contains("unsafe-inline"))

            let signup = try await client.request(.get, "/u/signup?state=\(login.hiddenInput("state") ?? "")")
            #expect(signup.status == .ok)
            #expect(signup.text.contains(#"data-reveals="password""#))
            #expect(signup.text.contains("<title>Sign up</title>"), "the sign-up page's title is Sign up")
        }
    }
}
