import Foundation
import GatehouseCore
import HTTPTypes
import Testing

/// Signs a browser in to the dashboard the way an operator does: `/dashboard/` → sign-in →
/// `/authorize` → the hosted login page → the callback.
struct DashboardBrowser {
    static let origin = "http://localhost:8080"
    let client: TestClient

    /// The operator role's id, found through the Management API.
    static func operatorRoleID(_ fixtures: Fixtures) async throws -> String {
        let reply = try await fixtures.client.json(
            .get, "/api/v2/roles?name_filter=Gatehouse%20Operator", token: fixtures.token)
        guard let id = reply.json.arrayValue?.first?["id"]?.stringValue else {
            throw TestFailure("no operator role: \(reply.status) \(reply.text)")
        }
        return id
    }

    static func makeOperator(_ fixtures: Fixtures, email: String = "ops@example.com") async throws -> String {
        let userID = try await fixtures.createUser(email: email)
        let reply = try await fixtures.client.json(
            .post, "/api/v2/users/\(userID)/roles", .object(["roles": .array([.string(try await operatorRoleID(fixtures))])]),
            token: fixtures.token)
        #expect(reply.status == .noContent || reply.status == .ok || reply.status == .created, "\(reply.text)")
        return userID
    }

    /// Runs the whole sign-in and returns the callback's answer.
    func signIn(email: String, password: String = "correct-horse-battery") async throws -> TestClient.Reply {
        let start = try await client.request(.get, "/dashboard/")
        #expect(start.status == .found && start.location == "/dashboard/login")
        let login = try await client.request(.get, "/dashboard/login")
        guard let authorize = login.location, authorize.hasPrefix("/authorize?") else {
            throw TestFailure("sign-in did not go to /authorize: \(login.status) \(login.text)")
        }
        let toPage = try await client.request(.get, authorize)
        guard let pageURI = toPage.location, pageURI.hasPrefix("/u/login") else {
            throw TestFailure("/authorize did not show the login page: \(toPage.status) \(toPage.text)")
        }
        let page = try await client.request(.get, pageURI)
        let state = try #require(page.hiddenInput("state"))
        let posted = try await client.form(
            "/u/login?state=\(state)",
            ["state": state, "_csrf": page.hiddenInput("_csrf") ?? "", "username": email, "password": password])
        guard let callback = posted.location, callback.hasPrefix(TestServer.issuer + "dashboard/callback?") else {
            throw TestFailure("the login page did not return to the dashboard: \(posted.status) \(posted.text)")
        }
        return try await client.request(.get, "/" + callback.dropFirst(TestServer.issuer.count))
    }

    /// The CSRF token the shell hands to the page's scripts.
    func csrfToken() async throws -> String {
        let shell = try await client.request(.get, "/dashboard/")
        let marker = "name=\"gatehouse-csrf\" content=\""
        guard let range = shell.text.range(of: marker), let end = shell.text[range.upperBound...].firstIndex(of: "\"") else {
            throw TestFailure("no CSRF token in the shell: \(shell.status)")
        }
        return String(shell.text[range.upperBound..<end])
    }

    /// A call through the dashboard's proxy, as the page's scripts make it.
    func api(
        _ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil, csrf: String? = nil, origin: String? = origin
    ) async throws -> TestClient.Reply {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let origin { headers[.origin] = origin }
        if let csrf { headers[HTTPField.Name("X-CSRF-Token")!] = csrf }
        return try await client.request(method, "/dashboard/api/v2" + path, headers: headers, body: body?.jsonText())
    }
}
