import Foundation
import HTTPTypes
import Hummingbird

/// Every /v1 route needs a key: /v1/admin the admin key, the rest a tenant's key. The principal is set for the
/// handlers (which check it again); failures answer 401/403 with a JSON error before any body is read. The
/// decision is made on path segments, as the router matches them (`//v1//admin` is `/v1/admin`).
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticator: Authenticator
    static var apiKeyHeader: HTTPField.Name { HTTPField.Name("X-API-Key")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let segments = pathSegments(request.uri.path)
        guard segments.first?.lowercased() == "v1" else { return try await next(request, context) }
        let principal: Principal
        do {
            let presented = Self.presentedKey(request.headers)
            principal = segments.dropFirst().first?.lowercased() == "admin"
                ? try authenticator.admin(presented) : try await authenticator.tenant(presented)
        } catch let error as APIError {
            return error.response()
        }
        return try await Principal.$current.withValue(principal) { try await next(request, context) }
    }

    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        return headers[apiKeyHeader]
    }
}
