import Foundation
import NIOCore
import NIOPosix

/// Sends WebAdMIT's completion callback: a form POST
/// `export_file[id]=…&export_file[export_id]=…&export_file[status]=…` to the URL the client gave.
/// Plain HTTP only (the sandbox has no TLS); failures are ignored, as a webhook sender would.
enum CallbackSender {
    static func post(to urlString: String, form: [(String, String)]) async {
        guard let url = URL(string: urlString), url.scheme == "http", let host = url.host else { return }
        let port = url.port ?? 80
        let path = (url.path.isEmpty ? "/" : url.path) + (url.query.map { "?" + $0 } ?? "")
        let body = form.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        let head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\nUser-Agent: WebAdMIT-Sandbox-Callback\r\n\r\n"
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .connect(host: host, port: port).get()
            try await channel.writeAndFlush(ByteBuffer(string: head + body)).get()
            // Give the receiver a moment to read the request before the connection closes.
            try? await Task.sleep(for: .milliseconds(200))
            try? await channel.close().get()
        } catch {
            return
        }
    }
}
