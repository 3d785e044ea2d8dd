import GatehouseIdentity
import HTTPTypes
import Hummingbird

/// RFC 6749 §5.2 error body: `{"error": "invalid_grant", "error_description": "…"}`, never cached.
extension OAuthError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse()
    }

    /// The error as the token endpoint answers it.
    func jsonResponse() -> Response {
        var fields: [String: JSONLiteral] = ["error": .string(code.rawValue), "error_description": .string(description)]
        if let mfaToken { fields["mfa_token"] = .string(mfaToken) }
        let body = JSONLiteral.object(fields)
        var headers: HTTPFields = [
            .contentType: "application/json; charset=utf-8", .cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache",
        ]
        if let seconds = retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        if code == .invalidClient || code == .invalidToken {
            headers[.wwwAuthenticate] = "Bearer error=\"\(code.rawValue)\""
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.text)))
    }
}

extension OAuthError {
    /// `GET` on a POST-only OAuth endpoint: 405 with `Allow: POST` (RFC 9110 §15.5.6), in the
    /// RFC 6749 error shape.
    static func answerGetWithPostOnly(on router: Router<GatehouseRequestContext>, path: RouterPath) {
        router.on(path, method: .get) { _, _ -> Response in
            var response = OAuthError(.invalidRequest, "This endpoint accepts POST only.", status: 405).jsonResponse()
            response.headers[.allow] = "POST"
            return response
        }
    }
}
