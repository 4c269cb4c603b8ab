import Foundation
import HTTPTypes
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A client that sends a whole request over a plain socket and hangs up without reading the answer, as a
/// caller that gives up does.
enum RawConnection {
    static func sendAndHangUp(port: Int, path: String, headers: HTTPFields, body: ByteBuffer, after delay: Duration) async throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EIO) }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.readableBytes)\r\n"
        for field in headers { head += "\(field.name.rawName): \(field.value)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + Array(body.readableBytesView)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) }
            guard written > 0 else { throw POSIXError(.EPIPE) }
            sent += written
        }
        try await Task.sleep(for: delay)
    }
}
