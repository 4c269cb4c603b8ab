import Foundation

/// A request path as the router matches it: non-empty segments, percent-decoded (`//v1//admin` is `/v1/admin`).
/// Auth and body limits decide on these, never on the raw text.
func pathSegments(_ path: String) -> [String] {
    path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
}
