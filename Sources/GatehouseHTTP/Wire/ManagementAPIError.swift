import Foundation
import Hummingbird

/// An error of the Management API, in Auth0's body shape:
/// `{"statusCode": 404, "error": "Not Found", "message": "The user does not exist.", "errorCode": "inexistent_user"}`.
struct ManagementAPIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    let errorCode: String?

    init(status: HTTPResponse.Status, message: String, errorCode: String? = nil) {
        self.status = status
        self.message = message
        self.errorCode = errorCode
    }

    static func badRequest(_ message: String, errorCode: String = "invalid_body") -> Self {
        Self(status: .badRequest, message: message, errorCode: errorCode)
    }

    static func notFound(_ message: String, errorCode: String) -> Self {
        Self(status: .notFound, message: message, errorCode: errorCode)
    }

    static func conflict(_ message: String, errorCode: String) -> Self {
        Self(status: .conflict, message: message, errorCode: errorCode)
    }

    static func unauthorized(_ message: String) -> Self {
        Self(status: .unauthorized, message: message)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: JSONLiteral] = [
            "statusCode": .int(status.code), "error": .string(status.reasonPhrase), "message": .string(message),
        ]
        if let errorCode { body["errorCode"] = .string(errorCode) }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSONLiteral.object(body).text)))
    }
}

/// A tiny JSON writer for error bodies, which must never fail to encode.
enum JSONLiteral {
    case string(String)
    case int(Int)
    case object([String: JSONLiteral])

    var text: String {
        switch self {
        case .int(let value): String(value)
        case .string(let value):
            String(decoding: (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8), as: UTF8.self)
        case .object(let members):
            "{"
                + members.sorted { $0.key < $1.key }.map { JSONLiteral.string($0.key).text + ":" + $0.value.text }
                .joined(separator: ",") + "}"
        }
    }
}
