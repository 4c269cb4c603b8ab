import Foundation
import HTTPTypes
import Hummingbird

/// An error that knows its HTTP status; the message says what was wrong and `field` which part or option.
struct APIError: Error, Sendable {
    enum Status: Sendable {
        case badRequest, unauthorized, forbidden, notFound, conflict, contentTooLarge, unsupportedMediaType, unprocessable, tooManyRequests,
            unavailable

        var http: HTTPResponse.Status {
            switch self {
            case .badRequest: .badRequest
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .contentTooLarge: .contentTooLarge
            case .unsupportedMediaType: .unsupportedMediaType
            case .unprocessable: .unprocessableContent
            case .tooManyRequests: .tooManyRequests
            case .unavailable: .serviceUnavailable
            }
        }
    }

    let status: Status
    let message: String
    let field: String?

    init(_ status: Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    static func notFound(_ what: String) -> APIError { APIError(.notFound, "no such \(what)") }

    var body: Components.Schemas._Error { .init(error: message, field: field) }

    /// The same JSON error as a plain response, for middleware that answers before the handlers.
    func response() -> Response {
        var object = ["error": message]
        if let field { object["field"] = field }
        let data = (try? JSONEncoder().encode(object)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if status == .unavailable { headers[.retryAfter] = "1" }
        if status == .tooManyRequests { headers[.retryAfter] = "30" }
        return Response(status: status.http, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
