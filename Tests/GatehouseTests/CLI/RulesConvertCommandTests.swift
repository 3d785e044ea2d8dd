import Foundation
import GatehouseCore
import Testing

@testable import GatehouseSandbox

/// `gatehouse rules convert` and `gatehouse hooks convert`, run as a user runs them: the built
/// `gatehouse` binary, the fixtures of `Tests/Fixtures/convert/`, stdout and stderr apart.
@Suite("CLI: rules convert and hooks convert") struct RulesConvertCommandTests {
    static let fixtures = GatehouseBinary.repository.appendingPathComponent("Tests/Fixtures/convert")

    /// Runs `gatehouse arguments…` in the fixtures folder.
    static func gatehouse(_ arguments: [String]) throws -> GatehouseBinary.Run {
        try GatehouseBinary.run(arguments, in: fixtures.path)
    }

    struct Check: Sendable, CustomStringConvertible {
        let rules: [String]
        let event: String
        let status: String
        let options: [String]
        var description: String { "\(rules.joined(separator: " → ")) on \(event)" }
    }

    /// The entries of `checks.json`: rules, event, expected status, secrets and modules as options.
    static func checks() throws -> [Check] {
        let text = try String(contentsOf: fixtures.appendingPathComponent("checks.json"), encoding: .utf8)
        return (JSONValue(jsonText: text)?.arrayValue ?? []).map { entry in
            let secrets = (entry["secrets"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.flatMap {
                ["--secret", "\($0.key)=\($0.value.stringValue ?? "")"]
            }
            let modules = (entry["dependencies"]?.objectValue ?? [:]).flatMap {
                ["--dependency", "\($0.key)=file:\($0.value.stringValue ?? "")"]
            }
            return Check(
                rules: entry["rules"]?.arrayValue?.compactMap(\.stringValue) ?? [], event: entry["event"]?.stringValue ?? "",
                status: entry["status"]?.stringValue ?? "", options: secrets + modules)
        }
    }

    @Test("each fixture converts and --check finds the action does what the rule did", arguments: try checks())
    func checkPasses(_ check: Check) throws {
        let bundles = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-convert-bundles").path
        let run = try Self.gatehouse(
            ["rules", "convert"] + check.rules + ["--check", "events/\(check.event)", "--json", "--bundles", bundles] + check.options)
        #expect(run.status == 0, "\(run.stderr)\n\(run.stdout)")
        let report = try #require(JSONValue(jsonText: run.stdout))
        #expect(report["check"]?["matches"] == .bool(true))
        let phases = report["check"]?["phases"]?.arrayValue ?? []
        #expect(phases.first?["rule"]?["status"]?.stringValue == check.status)
        #expect(report["actions"]?.arrayValue?.count == check.rules.count)
        if check.status == "suspended" { #expect(phases.count == 2, "the way back is compared too") }
    }

    @Test("without --json: the action on stdout, warnings, secrets and the comparison on stderr")
    func textOutput() throws {
        let run = try Self.gatehouse([
            "rules", "convert", "redirect-with-token.js", "--check", "events/back-from-terms.json", "--secret", "TERMS_SECRET=terms-secret",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("exports.onExecutePostLogin = async (event, api) => {"))
        #expect(run.stdout.contains("exports.onContinuePostLogin = async (event, api) => {"))
        #expect(run.stdout.contains("api.redirect.sendUserTo(`https://terms.example.com/accept?ticket=${ticket}"))
        #expect(run.stderr.contains("redirect-with-token.js: secrets to create for the action 'redirect-with-token': TERMS_SECRET"))
        #expect(run.stderr.contains("check execute: same outcome"))
        #expect(run.stderr.contains("check continue: same outcome"))
        #expect(run.stderr.hasSuffix("check: the actions do what the rules did\n"))
    }

    @Test("what has no mechanical equivalent is kept under TODO comments and listed on stderr with its line")
    func untranslatable() throws {
        let run = try Self.gatehouse(["rules", "convert", "untranslatable.js"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("// TODO(gatehouse convert): global.seen"))
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("untranslatable.js:2: global.seen — ") })
        #expect(lines.contains { $0.hasPrefix("untranslatable.js:4: context.sso.current_clients — ") })
        #expect(lines.contains { $0.hasPrefix("untranslatable.js:8: auth0.users.getByEmail — ") })
    }

    @Test("--check exits 1 and names the difference when the action does not do what the rule did")
    func mismatch() throws {
        let run = try Self.gatehouse(["rules", "convert", "untranslatable.js", "--check", "events/post-login.json"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("check execute: the outcomes differ"))
        // The rule fails on auth0.users.getByEmail (no Management API from rules here); the action earlier, on context.sso.
        #expect(
            run.stderr.contains(
                "  error: rule \"action_error: auth0.users.getByEmail is not a function\" / action \"action_error: Cannot read"))
    }

    @Test("a script that is not a rule, or a file that is not there, exits 2 with the reason")
    func refused() throws {
        let notRule = try Self.gatehouse(["rules", "convert", "checks.json"])
        #expect(notRule.status == 2)
        #expect(notRule.stderr.contains("checks.json: the script must be a function expression"))
        let missing = try Self.gatehouse(["rules", "convert", "no-such-rule.js"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no-such-rule.js"))
    }

    @Test("hooks convert: a credentials-exchange hook becomes an action that sets its claims")
    func hooks() throws {
        let run = try Self.gatehouse(["hooks", "convert", "hooks/m2m-claims.js", "--trigger", "credentials-exchange", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(JSONValue(jsonText: run.stdout))
        let action = try #require(report["actions"]?.arrayValue?.first)
        #expect(action["trigger"] == "credentials-exchange")
        #expect(action["secrets"] == .array(["TIER"]))
        let code = action["code"]?.stringValue ?? ""
        #expect(code.contains("exports.onExecuteCredentialsExchange = async (event, api) => {"))
        #expect(code.contains("api.accessToken.setCustomClaim(claim, value)"))
        let unknown = try Self.gatehouse(["hooks", "convert", "hooks/m2m-claims.js", "--trigger", "post-login"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown hook trigger post-login"))
    }
}
