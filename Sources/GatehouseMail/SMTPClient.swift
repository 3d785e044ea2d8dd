import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The smallest SMTP client that delivers one message correctly (RFC 5321): connect (implicit
/// TLS on 465, RFC 8314), `EHLO` (falling back to `HELO`), `STARTTLS` (RFC 3207) when offered or
/// required, `AUTH PLAIN` or `AUTH LOGIN` (RFC 4954, 4616), `MAIL FROM`, `RCPT TO`, `DATA` with
/// dot-stuffing, `QUIT`. One connection per message: the outbox delivers messages one by one and
/// a provider's connection limits are then never in question.
///
/// Every step has a deadline; a failure is an `SMTPError` naming the step and the server's reply,
/// `transient` (4xx, network, timeout: retry later) or `permanent` (5xx, TLS, policy). Server
/// certificates are always verified (system roots plus `trustedCAFile`), with the host name.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    let group: any EventLoopGroup

    public init(configuration: SMTPConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
    }

    /// Delivers `message`; returns once the server accepted it (`250` after the data).
    /// Throws only `SMTPError`.
    public func send(_ message: MailMessage) async throws {
        let tls = try makeTLSContext()
        let channel = try await connect(tls: configuration.security == .implicitTLS ? tls : nil)
        do {
            let dialogue = try await SMTPDialogue.on(channel, configuration: configuration, tls: tls)
            try await dialogue.deliver(message)
            await dialogue.quit()
        } catch {
            try? await channel.close()
            throw SMTPDialogue.failure(error, step: "connection")
        }
    }

    func makeTLSContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let file = configuration.trustedCAFile {
            tls.additionalTrustRoots = [.file(file)]
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw SMTPError(.permanent, step: "TLS setup", detail: "the TLS context could not be made: \(error)")
        }
    }

    func connect(tls: NIOSSLContext?) async throws -> any Channel {
        let host = configuration.host
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(configuration.connectTimeoutSeconds))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: SMTPDialogue.serverName(host)))
                    }
                    try channel.pipeline.syncOperations.addHandler(SMTPReplyReader())
                }
            }
        do {
            return try await bootstrap.connect(host: host, port: configuration.port).get()
        } catch {
            throw SMTPError(
                .transient, step: "connect",
                detail: "could not connect to \(host):\(configuration.port) (\(error)); check smtp_host and smtp_port")
        }
    }
}
