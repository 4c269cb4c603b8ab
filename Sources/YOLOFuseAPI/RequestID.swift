import Foundation
import HTTPTypes
import Hummingbird

/// Gives every request a fresh id, which keys its usage event and is echoed as X-Request-Id. A caller's own
/// X-Request-Id is kept for tracing and echoed as X-Client-Request-Id; it never replaces ours, so a caller
/// cannot make two calls count as one.
enum RequestID {
    @TaskLocal static var current = ""
    static let header = HTTPField.Name("X-Request-Id")!
    static let clientHeader = HTTPField.Name("X-Client-Request-Id")!
}

struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let incoming = request.headers[RequestID.header].flatMap { $0.count <= 128 && !$0.isEmpty ? $0 : nil }
        let id = UUID().uuidString.lowercased()
        var response = try await RequestID.$current.withValue(id) { try await next(request, context) }
        response.headers[RequestID.header] = id
        if let incoming { response.headers[RequestID.clientHeader] = incoming }
        return response
    }
}
