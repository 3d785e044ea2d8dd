import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseIdentity
import HTTPTypes
import Hummingbird

/// `/dashboard`: the operators' web interface, a client of the Management API (DESIGN.md,
/// principle 4). Anonymous routes: the sign-in (`/login`, `/callback`), the signed-out page and
/// the static files. Every other route runs in a `DashboardRequestContext`, which exists only
/// for a live dashboard session.
struct DashboardRoutes {
    let services: IdentityServices
    let actions: ActionsService

    func register(on router: Router<GatehouseRequestContext>) throws {
        let configuration = services.configuration
        let assets = try DashboardAssets.load(codemirrorDirectory: configuration.codemirrorDirectory)
        let sessions = DashboardSessions(storage: services.storage)
        let cookies = DashboardCookies(secure: configuration.secureCookies)
        let services = services
        let tokens = InProcessResponder { TokenRoutes(services: services).register(on: $0) }
        let actions = actions
        let management = InProcessResponder { ManagementAPI(services: services, actions: actions).register(on: $0) }
        let signIn = DashboardSignIn(services: services, sessions: sessions, cookies: cookies, tokenEndpoint: tokens)
        let origin =
            URL(string: configuration.issuer).map { url in
                "\(url.scheme ?? "http")://\(url.host ?? "")" + (url.port.map { ":\($0)" } ?? "")
            } ?? ""
        let proxy = DashboardProxy(management: management, origin: origin)
        guard let shell = assets.text("index.html") else {
            throw HTTPError(.internalServerError, message: "The dashboard's index.html is missing from the build.")
        }

        router.get("dashboard/login") { request, _ in try await signIn.begin(request) }
        router.get("dashboard/callback") { request, context in try await signIn.callback(request, context: context) }
        router.get("dashboard/signed-out") { _, _ in
            DashboardPage.message(
                title: "Signed out", text: "You have signed out of the Gatehouse dashboard.", link: ("/dashboard/login", "Sign in"),
                status: .ok)
        }
        router.get("dashboard/assets/**") { request, context in
            assets.asset(context.parameters.getCatchAll().joined(separator: "/"), request: request)
        }
        router.get("dashboard/codemirror/**") { _, context in
            assets.codemirror(context.parameters.getCatchAll().joined(separator: "/"))
        }

        let signedIn = router.group("dashboard").add(middleware: DashboardSessionMiddleware(sessions: sessions))
            .group(context: DashboardRequestContext.self)
        let page = shell.replacingOccurrences(of: "{{codemirror}}", with: assets.codemirrorTags)
        signedIn.get("") { _, context in
            DashboardPage.shell(template: page, session: context.session, editorAvailable: assets.codemirrorAvailable)
        }
        signedIn.post("logout") { request, context in
            let form = try await RequestParameters.body(request, context: context)
            guard request.headers[.origin] == origin, let token = form["csrf_token"],
                SecretComparison.equal(token, context.session.csrf_token)
            else {
                return DashboardPage.message(
                    title: "Sign-out refused", text: "The sign-out did not come from the dashboard's own page.",
                    link: ("/dashboard/", "Back to the dashboard"), status: .forbidden)
            }
            return try await signIn.signOut(request, context: context)
        }
        for method: HTTPRequest.Method in [.get, .post, .put, .patch, .delete] {
            signedIn.on("api/v2/**", method: method) { request, context in try await proxy.forward(request, context: context) }
        }
    }
}
