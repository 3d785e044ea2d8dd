import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseSandbox
import GatehouseStorage
import Testing

@Suite("SessionCommands: api.session and api.refreshToken calls parsed with Auth0's rules") struct SessionCommandsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var commands: [Command]
        var session = SessionChanges()
        var refreshToken = SessionChanges()
        var invalid: String?
        var testDescription: String { name }
    }

    static let badKey =
        "Failed to set session metadata: Invalid metadata: Metadata keys may only include letters, numbers, underscores, or hyphens"

    static func call(_ method: String, _ args: JSONValue...) -> Command { Command(method: "api." + method, args: args) }

    static let cases: [Case] = [
        Case(name: "nothing asked", commands: [call("idToken.setCustomClaim", "a", .number(1))]),
        Case(
            name: "metadata in call order, null deletes",
            commands: [
                call("session.setMetadata", "device", "phone"), call("session.setMetadata", "org_id", "acme"),
                call("session.setMetadata", "org_id", .null), call("session.deleteMetadata", "device"),
                call("session.evictMetadata"), call("session.setMetadata", "step-2", "done"),
            ],
            session: SessionChanges(metadata: [
                .set(key: "device", value: "phone"), .set(key: "org_id", value: "acme"), .delete(key: "org_id"),
                .delete(key: "device"), .evict, .set(key: "step-2", value: "done"),
            ])),
        Case(
            name: "the earliest expiry wins, per target",
            commands: [
                call("session.setExpiresAt", .number(2_000)), call("session.setExpiresAt", .number(1_000)),
                call("session.setExpiresAt", .number(3_000)), call("session.setIdleExpiresAt", .number(500)),
                call("refreshToken.setIdleExpiresAt", .number(9_000)), call("refreshToken.setIdleExpiresAt", .number(8_000)),
                call("refreshToken.setExpiresAt", .number(7_000)),
            ],
            session: SessionChanges(expiresAt: 1_000, idleExpiresAt: 500),
            refreshToken: SessionChanges(expiresAt: 7_000, idleExpiresAt: 8_000)),
        Case(
            name: "refresh-token metadata is kept apart from the session's",
            commands: [call("refreshToken.setMetadata", "device", "laptop"), call("refreshToken.evictMetadata")],
            refreshToken: SessionChanges(metadata: [.set(key: "device", value: "laptop"), .evict])),
        Case(
            name: "a key with a dot is refused with Auth0's message",
            commands: [call("session.setMetadata", "user.name", "x")],
            invalid: badKey),
        Case(
            name: "a key with a space, in deleteMetadata",
            commands: [call("session.deleteMetadata", "a b")],
            invalid: badKey),
        Case(
            name: "a non-ASCII letter is not a letter for Auth0",
            commands: [call("refreshToken.setMetadata", "clé", "x")],
            invalid: badKey.replacingOccurrences(of: "set session", with: "set refresh token")),
        Case(
            name: "an empty key",
            commands: [call("session.setMetadata", "", "x")],
            invalid: "Failed to set session metadata: Invalid metadata: Metadata keys must be non-empty strings"),
        Case(
            name: "a key of 256 characters",
            commands: [call("session.setMetadata", .string(String(repeating: "k", count: 256)), "x")],
            invalid: "Failed to set session metadata: Invalid metadata: Metadata keys must be at most 255 characters"),
        Case(
            name: "a value of 256 characters",
            commands: [call("session.setMetadata", "k", .string(String(repeating: "v", count: 256)))],
            invalid: "Failed to set session metadata: Invalid metadata: Metadata values must be at most 255 characters"),
        Case(
            name: "a value that is not a string",
            commands: [call("session.setMetadata", "k", .number(1))],
            invalid: "Failed to set session metadata: Invalid metadata: Metadata values must be strings"),
        Case(
            name: "limits are inclusive: 255 characters pass",
            commands: [
                call("session.setMetadata", .string(String(repeating: "k", count: 255)), .string(String(repeating: "v", count: 255)))
            ],
            session: SessionChanges(metadata: [
                .set(key: String(repeating: "k", count: 255), value: String(repeating: "v", count: 255))
            ])),
        Case(
            name: "the first invalid call is the one reported; valid calls are still parsed",
            commands: [
                call("session.setMetadata", "ok", "1"), call("session.setMetadata", "bad key", "2"),
                call("session.setMetadata", "k", .number(3)),
            ],
            session: SessionChanges(metadata: [.set(key: "ok", value: "1")]),
            invalid: badKey),
        Case(
            name: "an expiry that is not a finite number is ignored",
            commands: [call("session.setExpiresAt", "tomorrow"), call("session.setExpiresAt", .number(.infinity))]),
    ]

    @Test("parsing", arguments: cases)
    func parse(_ test: Case) {
        let parsed = SessionCommands(commands: test.commands)
        #expect(parsed.session == test.session)
        #expect(parsed.refreshToken == test.refreshToken)
        #expect(parsed.invalid?.message == test.invalid)
        #expect(parsed.refusal?.description == test.invalid)
        #expect(parsed.isEmpty == (test.session.isEmpty && test.refreshToken.isEmpty && test.invalid == nil))
    }

    @Test("applying to a session not stored yet: 25 properties at most, expiry only shortened")
    func applyingToARecord() throws {
        let session = SessionRecord(
            id: "s", user_id: "u", connection: "db", authenticated_at: 0, created_at: 0, expires_at: 10_000, clients: [],
            session_metadata: ["a": "1"])
        let shortened = try session.applying(
            SessionChanges(metadata: [.set(key: "b", value: "2")], expiresAt: 20_000, idleExpiresAt: 5_000))
        #expect(shortened.expires_at == 10_000)
        #expect(shortened.endsAt == 5_000)
        #expect(shortened.session_metadata == ["a": "1", "b": "2"])
        let full = SessionChanges(metadata: (1...24).map { .set(key: "k\($0)", value: "v") })
        #expect(try session.applying(full).session_metadata?.count == 25)
        #expect(throws: SessionMetadataError("Metadata may have at most 25 properties", target: "session")) {
            try session.applying(SessionChanges(metadata: full.metadata + [.set(key: "one-more", value: "v")]))
        }
    }
}
