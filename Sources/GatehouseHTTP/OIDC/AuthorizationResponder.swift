import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// Sends the browser back to the client: with a code on success, with an error otherwise, by
/// query redirect or by form post (OAuth 2.0 Form Post Response Mode).
struct AuthorizationResponder: Sendable {
    let services: IdentityServices
    let pages: PageRenderer
    let authorization: AuthorizationService
    let cookies: SessionCookies

    func redirect(to uri: String, parameters: [(String, String?)], responseMode: String, setCookies: [String] = []) -> Response {
        var response: Response
        if responseMode == "form_post" {
            response = pages.formPost(action: uri, fields: parameters.compactMap { name, value in value.map { (name, $0) } })
        } else {
            response = Response(
                status: .found, headers: [.location: URLComponents.appending(parameters, to: uri), .cacheControl: "no-store"])
        }
        for cookie in setCookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    func failure(_ failure: AuthorizationFailure) -> Response {
        switch failure {
        case .page(let title, let description):
            return pages.errorPage(title: title, description: description)
        case .redirect(let error, let uri, let state, let responseMode):
            return redirect(
                to: uri, parameters: [("error", error.code.rawValue), ("error_description", error.description), ("state", state)],
                responseMode: responseMode)
        }
    }
}
