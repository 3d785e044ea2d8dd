/// Why a message was not delivered: the step of the dialogue that failed (`connect`, `EHLO`,
/// `STARTTLS`, `AUTH LOGIN`, `RCPT TO`, …), the server's reply when there was one, and whether
/// trying again later can help. Never contains the password or the message.
public struct SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A 4xx reply, a network failure, a timeout or a dropped connection: try again later.
        case transient
        /// A 5xx reply, a TLS failure, or a policy refusal (no STARTTLS, no usable AUTH
        /// mechanism, an address that cannot be sent to): retrying will fail the same way.
        case permanent
    }

    public let kind: Kind
    /// The step that failed, as the dialogue names it (`MAIL FROM`, `DATA`, …).
    public let step: String
    /// The server's reply, when it gave one.
    public let reply: SMTPReply?
    /// What went wrong, in words, with what to do when there is something to do.
    public let detail: String

    public init(_ kind: Kind, step: String, reply: SMTPReply? = nil, detail: String) {
        self.kind = kind
        self.step = step
        self.reply = reply
        self.detail = detail
    }

    public var isTransient: Bool { kind == .transient }

    public var description: String {
        let answer = reply.map { " (server replied \($0))" } ?? ""
        return "SMTP \(step) failed\(answer): \(detail)"
    }

    /// A reply that is not the one expected: 4xx transient, anything else permanent.
    static func unexpected(_ reply: SMTPReply, step: String, expected: String) -> SMTPError {
        let transient = (400..<500).contains(reply.code)
        return SMTPError(
            transient ? .transient : .permanent, step: step, reply: reply,
            detail: transient
                ? "the server refused for now (expected \(expected)); the message can be retried"
                : "the server refused (expected \(expected))")
    }
}
