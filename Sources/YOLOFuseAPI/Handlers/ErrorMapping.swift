import YOLOFuseDetect
import YOLOFuseStore
import YOLOFuseVision

extension APIError {
    /// The answer for an error from below the handlers; nil for what is our fault (a 500).
    static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError: return error
        case let error as DetectionError: return APIError(.unprocessable, error.reason, field: error.field)
        case is DynamicBatcher.QueueFull: return APIError(.unavailable, "the model's request queue is full; retry shortly")
        case is DynamicBatcher.ShutDown: return APIError(.unavailable, "the service is shutting down; retry on another instance")
        // Nobody reads this answer; the status is for the access log and metrics.
        case is DynamicBatcher.Abandoned: return APIError(.unavailable, "the request was dropped: the client disconnected")
        case let error as ImageError:
            // Unreadable images are bad requests; readable ones that break a limit are unprocessable.
            return APIError(error.description.contains("over the limit") ? .unprocessable : .badRequest, error.description)
        case let error as StoreError:
            if case .conflict(let reason) = error { return APIError(.conflict, reason) }
            return APIError(.unavailable, "the database is unavailable; retry shortly")
        default: return nil
        }
    }
}
