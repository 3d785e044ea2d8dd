import GatehouseStorage
import Hummingbird

/// The context of the dashboard's signed-in routes (the page shell and the API proxy): the
/// operator's session is always there, so a handler cannot run for an anonymous browser.
struct DashboardRequestContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let session: DashboardSessionRecord
    /// The parent context, for the in-process call to the Management API.
    let parent: GatehouseRequestContext

    init(context: GatehouseRequestContext) throws {
        guard let session = context.dashboardSession else {
            throw HTTPError(.unauthorized, message: "Sign in to the dashboard first.")
        }
        self.coreContext = context.coreContext
        self.session = session
        self.parent = context
    }
}

/// Finds the dashboard session the cookie names; without one, pages redirect to the sign-in and
/// API calls answer 401 in the Management API's error shape.
struct DashboardSessionMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let sessions: DashboardSessions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let secret = request.cookies[DashboardCookies.sessionName]?.value, !secret.isEmpty,
            let session = try await sessions.active(secret: secret)
        else {
            if request.uri.path.hasPrefix("/dashboard/api/") {
                return try ManagementAPIError(
                    status: .unauthorized, message: "Your dashboard session has ended: sign in again at /dashboard/.",
                    errorCode: "dashboard_session_ended"
                ).response(from: request, context: context)
            }
            return Response(status: .found, headers: [.location: "/dashboard/login", .cacheControl: "no-store"])
        }
        var context = context
        context.dashboardSession = session
        return try await next(request, context)
    }
}
