import Foundation
import NIOCore

/// One SMTP reply (RFC 5321 §4.2): a three-digit code and its text lines.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public let code: Int
    public let lines: [String]

    /// 2xx and 3xx: the command was accepted (3xx: go on).
    public var isPositive: Bool { (200..<400).contains(code) }
    /// 5xx: the command failed and will fail again (§4.2.1).
    public var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// The reply as the server wrote it, lines joined by ` / ` (for error messages).
    public var description: String { "\(code) \(lines.joined(separator: " / "))".trimmingCharacters(in: .whitespaces) }

    /// EHLO keywords (§4.1.1.1): the first word of each line after the greeting, upper-cased,
    /// with its parameters (`AUTH` → `["PLAIN", "LOGIN"]`).
    var extensions: [String: [String]] {
        var found: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(separator: " ").map { String($0).uppercased() }
            if let keyword = words.first { found[keyword] = Array(words.dropFirst()) }
        }
        return found
    }
}

/// Reads the server's byte stream into replies and hands them out one at a time. Lines
/// `ddd-text` continue a reply, `ddd text` (or `ddd`) ends it (RFC 5321 §4.2.1). Bounded: a line
/// longer than 4,096 bytes or a reply of more than 200 lines ends the connection. It also knows
/// whether anything arrived that nobody asked for yet (`isIdle`), which STARTTLS must check:
/// bytes sent before the TLS handshake must not be read as replies after it (RFC 3207 §4.2).
final class SMTPReplyReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    static let maximumLine = 4096
    static let maximumLines = 200

    private var buffer = ByteBuffer()
    private var lines: [String] = []
    private var ready: [SMTPReply] = []
    private var waiting: EventLoopPromise<SMTPReply>?
    private var failure: (any Error)?

    /// Nothing received that has not been asked for.
    var isIdle: Bool { ready.isEmpty && lines.isEmpty && buffer.readableBytes == 0 }

    /// The next reply, or the failure that ended the connection.
    func next(on eventLoop: any EventLoop) -> EventLoopFuture<SMTPReply> {
        if !ready.isEmpty { return eventLoop.makeSucceededFuture(ready.removeFirst()) }
        if let failure { return eventLoop.makeFailedFuture(failure) }
        let promise = eventLoop.makePromise(of: SMTPReply.self)
        waiting = promise
        return promise.futureResult
    }

    func fail(_ error: any Error) {
        if failure == nil { failure = error }
        waiting?.fail(error)
        waiting = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer.writeBuffer(&bytes)
        do {
            while let reply = try nextReply() {
                if let waiting {
                    self.waiting = nil
                    waiting.succeed(reply)
                } else {
                    ready.append(reply)
                }
            }
        } catch {
            fail(error)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(SMTPConnectionClosed())
        context.fireChannelInactive()
    }

    private func nextReply() throws -> SMTPReply? {
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readerIndex
            guard length <= Self.maximumLine, var line = buffer.readString(length: length) else {
                throw SMTPProtocolViolation(reason: "a reply line is longer than \(Self.maximumLine) bytes")
            }
            buffer.moveReaderIndex(forwardBy: 1)
            if line.hasSuffix("\r") { line.removeLast() }
            let bytes = Array(line.utf8)
            guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (0x30...0x39).contains($0) }), let code = Int(String(line.prefix(3))),
                bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-")
            else { throw SMTPProtocolViolation(reason: "the server sent a line that is not an SMTP reply") }
            lines.append(bytes.count > 4 ? String(line.dropFirst(4)) : "")
            guard lines.count <= Self.maximumLines else {
                throw SMTPProtocolViolation(reason: "a reply has more than \(Self.maximumLines) lines")
            }
            if bytes.count > 3, bytes[3] == UInt8(ascii: "-") { continue }
            defer { lines = [] }
            return SMTPReply(code: code, lines: lines)
        }
        if buffer.readableBytes > Self.maximumLine {
            throw SMTPProtocolViolation(reason: "a reply line is longer than \(Self.maximumLine) bytes")
        }
        buffer.discardReadBytes()
        return nil
    }
}

struct SMTPProtocolViolation: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

struct SMTPConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the server closed the connection" }
}

struct SMTPTimeout: Error, CustomStringConvertible {
    let seconds: Int64
    var description: String { "no reply within \(seconds) seconds" }
}
