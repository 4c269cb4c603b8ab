/// An error that knows its HTTP status; the message says what was wrong and `field` which part or option.
struct APIError: Error, Sendable {
    enum Status: Sendable { case badRequest, contentTooLarge, unprocessable, unavailable }

    let status: Status
    let message: String
    let field: String?

    init(_ status: Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }
}
