import Foundation
import NIOCore
import NIOSSL

/// One SMTP conversation on an open connection (RFC 5321 §3, §4.1). Not shared between tasks.
struct SMTPDialogue {
    let channel: any Channel
    let configuration: SMTPConfiguration
    let tls: NIOSSLContext
    private let reader: NIOLoopBound<SMTPReplyReader>

    /// The dialogue on `channel`, whose pipeline has the `SMTPReplyReader` the client added.
    static func on(_ channel: any Channel, configuration: SMTPConfiguration, tls: NIOSSLContext) async throws -> SMTPDialogue {
        let reader = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: SMTPReplyReader.self), eventLoop: channel.eventLoop)
        }.get()
        return SMTPDialogue(channel: channel, configuration: configuration, tls: tls, reader: reader)
    }

    private init(channel: any Channel, configuration: SMTPConfiguration, tls: NIOSSLContext, reader: NIOLoopBound<SMTPReplyReader>) {
        self.channel = channel
        self.configuration = configuration
        self.tls = tls
        self.reader = reader
    }

    /// SNI and certificate host name: a name, or `nil` for an IP literal (NIOSSL then checks the
    /// certificate's IP addresses against the peer's).
    static func serverName(_ host: String) -> String? {
        host.contains(":") || host.split(separator: ".").allSatisfy({ Int($0) != nil }) ? nil : host
    }

    func deliver(_ message: MailMessage) async throws {
        var secure = configuration.security == .implicitTLS
        try await expect(step: "greeting", [220])
        var extensions = try await hello()
        if !secure, extensions["STARTTLS"] != nil {
            try await startTLS()
            secure = true
            extensions = try await hello()
        } else if !secure, configuration.security == .startTLSRequired {
            throw SMTPError(
                .permanent, step: "STARTTLS",
                detail: "the server does not offer STARTTLS and this provider requires TLS (credentials are never sent in clear);"
                    + " use port 465 for implicit TLS, or a server that supports STARTTLS")
        }
        if let username = configuration.username {
            guard secure else {
                throw SMTPError(.permanent, step: "AUTH", detail: "credentials are only sent over TLS, and this connection has none")
            }
            try await authenticate(username: username, password: configuration.password ?? "", offered: extensions["AUTH"] ?? [])
        }
        try await command("MAIL FROM:<\(message.from.address)>", step: "MAIL FROM", expect: [250])
        try await command("RCPT TO:<\(message.to.address)>", step: "RCPT TO", expect: [250, 251])
        try await command("DATA", step: "DATA", expect: [354])
        try await write(SMTPData.encode(message.mime()), step: "DATA")
        try await expect(step: "DATA (end of message)", [250])
    }

    /// `QUIT`, best effort: the message is already accepted.
    func quit() async {
        try? await command("QUIT", step: "QUIT", expect: [221], timeout: 5)
        try? await channel.close()
    }

    /// `EHLO`, or `HELO` when the server does not know `EHLO` (RFC 5321 §4.1.4); the extensions.
    func hello() async throws -> [String: [String]] {
        try await write("EHLO \(configuration.clientName)\r\n", step: "EHLO")
        let reply = try await next(step: "EHLO")
        if reply.code == 250 { return reply.extensions }
        guard [500, 501, 502, 504, 550].contains(reply.code) else {
            throw SMTPError.unexpected(reply, step: "EHLO", expected: "250")
        }
        try await command("HELO \(configuration.clientName)", step: "HELO", expect: [250])
        return [:]
    }

    /// RFC 3207: `STARTTLS`, `220`, then the TLS handshake on the same connection. Anything the
    /// server sent before the handshake that was not asked for ends the dialogue (§4.2: a
    /// man in the middle could have injected it).
    func startTLS() async throws {
        try await command("STARTTLS", step: "STARTTLS", expect: [220])
        let tls = tls
        let serverName = Self.serverName(configuration.host)
        let reader = reader
        let channel = channel
        try await channel.eventLoop.submit {
            guard reader.value.isIdle else {
                throw SMTPError(.permanent, step: "STARTTLS", detail: "the server sent data before the TLS handshake")
            }
            try channel.pipeline.syncOperations.addHandler(
                try NIOSSLClientHandler(context: tls, serverHostname: serverName), position: .first)
        }.get()
    }

    /// RFC 4954 with PLAIN (RFC 4616) when offered, else LOGIN. The password is written to the
    /// connection only; no error or log line contains it.
    func authenticate(username: String, password: String, offered: [String]) async throws {
        if offered.contains("PLAIN") {
            let token = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
            try await write("AUTH PLAIN \(token)\r\n", step: "AUTH PLAIN")
            try await authenticationResult(step: "AUTH PLAIN")
        } else if offered.contains("LOGIN") {
            try await command("AUTH LOGIN", step: "AUTH LOGIN", expect: [334])
            try await command(Data(username.utf8).base64EncodedString(), step: "AUTH LOGIN (user name)", expect: [334])
            try await write(Data(password.utf8).base64EncodedString() + "\r\n", step: "AUTH LOGIN (password)")
            try await authenticationResult(step: "AUTH LOGIN (password)")
        } else {
            throw SMTPError(
                .permanent, step: "AUTH",
                detail: "the server offers no authentication mechanism this client speaks (PLAIN or LOGIN); offered: "
                    + (offered.isEmpty ? "none" : offered.joined(separator: " ")))
        }
    }

    func authenticationResult(step: String) async throws {
        let reply = try await next(step: step)
        guard reply.code == 235 else {
            if reply.code == 535 || reply.code == 534 {
                throw SMTPError(
                    .permanent, step: step, reply: reply, detail: "the server refused the credentials; check smtp_user and smtp_pass")
            }
            throw SMTPError.unexpected(reply, step: step, expected: "235")
        }
    }

    @discardableResult
    func command(_ line: String, step: String, expect codes: [Int], timeout: Int64? = nil) async throws -> SMTPReply {
        try await write(line + "\r\n", step: step)
        return try await expect(step: step, codes, timeout: timeout)
    }

    @discardableResult
    func expect(step: String, _ codes: [Int], timeout: Int64? = nil) async throws -> SMTPReply {
        let reply = try await next(step: step, timeout: timeout)
        guard codes.contains(reply.code) else {
            throw SMTPError.unexpected(reply, step: step, expected: codes.map(String.init).joined(separator: " or "))
        }
        return reply
    }

    func write(_ text: String, step: String = "write") async throws {
        do {
            try await channel.writeAndFlush(ByteBuffer(string: text)).get()
        } catch {
            // A write fails with "closed channel" when the connection ended under it (a TLS
            // handshake that failed, a server that hung up); the reader holds the real cause.
            _ = try await next(step: step, timeout: 5)
            throw Self.failure(error, step: step)
        }
    }

    /// The next reply within the reply timeout; on timeout the connection is closed.
    func next(step: String, timeout: Int64? = nil) async throws -> SMTPReply {
        let seconds = timeout ?? configuration.replyTimeoutSeconds
        let reader = reader
        let channel = channel
        let future = channel.eventLoop.flatSubmit {
            let reply = reader.value.next(on: channel.eventLoop)
            let deadline = channel.eventLoop.scheduleTask(in: .seconds(seconds)) {
                reader.value.fail(SMTPTimeout(seconds: seconds))
                channel.close(promise: nil)
            }
            reply.whenComplete { _ in deadline.cancel() }
            return reply
        }
        do {
            return try await future.get()
        } catch {
            throw Self.failure(error, step: step)
        }
    }

    /// An error of the connection as an `SMTPError`: TLS failures are permanent (a certificate
    /// that does not verify will not verify later), everything else on the network is transient.
    static func failure(_ error: any Error, step: String) -> SMTPError {
        switch error {
        case let error as SMTPError: return error
        case let error as SMTPTimeout: return SMTPError(.transient, step: step, detail: error.description)
        case let error as SMTPProtocolViolation: return SMTPError(.permanent, step: step, detail: error.reason)
        case let error as SMTPConnectionClosed: return SMTPError(.transient, step: step, detail: error.description)
        case let error as NIOSSLError:
            return SMTPError(
                .permanent, step: step,
                detail: "TLS failed (\(error)); the server's certificate must verify for its host name"
                    + " (a private CA can be trusted with GATEHOUSE_SMTP_CA_FILE)")
        case let error as BoringSSLError:
            return SMTPError(.permanent, step: step, detail: "TLS failed (\(error))")
        default: return SMTPError(.transient, step: step, detail: "network error (\(error))")
        }
    }
}
