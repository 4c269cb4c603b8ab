import Foundation
import HTTPTypes
import Hummingbird

/// Gives every request an id: taken from an incoming X-Request-Id (so callers can trace their own ids) or
/// made fresh; the handlers read it through `RequestID.current`, and it is echoed on every response.
enum RequestID {
    @TaskLocal static var current = ""
    static let header = HTTPField.Name("X-Request-Id")!
}

struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let incoming = request.headers[RequestID.header].flatMap { $0.count <= 128 && !$0.isEmpty ? $0 : nil }
        let id = incoming ?? UUID().uuidString.lowercased()
        var response = try await RequestID.$current.withValue(id) { try await next(request, context) }
        if response.headers[RequestID.header] == nil { response.headers[RequestID.header] = id }
        return response
    }
}
