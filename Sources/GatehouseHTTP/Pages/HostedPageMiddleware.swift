import GatehouseIdentity
import HTTPTypes
import Hummingbird
import Logging

/// Loads the branding and the browser's language for the requests that can answer with a hosted
/// page (`/u/…`, `/authorize`, `/continue`, the logout endpoints), and leaves every other
/// request (tokens, Management API) without that read.
struct HostedPageMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let branding: BrandingService
    let logger: Logger

    static let pagePaths: Set<String> = ["/authorize", "/continue", "/v2/logout", "/oidc/logout"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/u/") || Self.pagePaths.contains(path) else { return try await next(request, context) }
        var environment = PageEnvironment(language: PageLanguage.preferred(acceptLanguage: request.headers[.acceptLanguage]))
        do {
            environment.theme = PageTheme(try await branding.settings())
        } catch {
            // The page still works unbranded; the operator learns why from the log.
            logger.warning("hosted page shown without the tenant's branding", metadata: ["error": "\(error)"])
        }
        return try await PageEnvironment.$current.withValue(environment) { try await next(request, context) }
    }
}
