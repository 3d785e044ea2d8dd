import Foundation
import GatehouseCore
import GatehouseSandbox
import Testing

@Suite("Rules: the operator's module set and resumed actions") struct RuleModulesTests {
    @Test("GATEHOUSE_RULES_MODULES: an npm pack tarball installs into the rules' bundle; require('name@version') loads it")
    func modules() async throws {
        let work = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let tarball = try await DependencyInstallTests.packedPackage(in: work)
        var configuration = TestServer.configuration()
        configuration.bundlesDirectory = work.appendingPathComponent("bundles").path
        configuration.rulesModules = "tiny-shout@file:\(tarball.path)"
        try await TestServer.run(configuration) { client in
            let shout = """
                function (user, context, callback) {
                  const shout = require('tiny-shout@1.0.0');
                  context.idToken['https://gatehouse.example/shout'] = shout('rules');
                  callback(null, user, context);
                }
                """
            let (_, app, _) = try await RuleLoginTests.setUp(client, rules: [("shout", shout)])
            let reply = try await RuleLoginTests.login(client, app)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(jwtClaims(try #require(reply.json["id_token"]?.stringValue))["https://gatehouse.example/shout"] == "RULES!")
        }
        #expect(throws: RulesModules.Invalid.self) { try RulesModules(setting: "lodash") }
        #expect(try RulesModules(setting: "@scope/pkg@^1.2.0, lodash@4.17.21").dependencies.map(\.name) == ["@scope/pkg", "lodash"])
    }

    @Test("an action that redirected resumes alone: the rules do not run again, api.rules.wasExecuted still knows them")
    func actionResumeKeepsExecutedRules() async throws {
        try await TestServer.run { client in
            let ruleScript = """
                function (user, context, callback) {
                  auth0.users.updateAppMetadata(user.user_id, { rule_runs: ((user.app_metadata || {}).rule_runs || 0) + 1 })
                    .then(() => callback(null, user, context));
                }
                """
            let (fixtures, app, userID) = try await RuleLoginTests.setUp(client, rules: [("counter", ruleScript)])
            let ruleID = try #require(
                try await client.json(.get, "/api/v2/rules", token: fixtures.token).json.arrayValue?.first?["id"]?.stringValue)
            let redirecting = Fixtures.BoundCode(
                name: "idv",
                code: """
                    exports.onExecutePostLogin = async (event, api) => { api.redirect.sendUserTo('https://idv.example/start'); };
                    exports.onContinuePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://gatehouse.example/rule_ran', api.rules.wasExecuted('\(ruleID)'));
                    };
                    """)
            try await fixtures.bind([redirecting], to: "post-login", version: "v3")
            let pkce = PKCEPair.make()
            let away = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid")
            let state = try #require(away.redirectQuery["state"], "\(away.location ?? away.text)")
            let back = try await client.form("/continue", ["state": state])
            let code = try #require(back.redirectQuery["code"], "\(back.location ?? back.text)")
            let tokens = try await PostLoginTests.exchange(client, app, code: code, verifier: pkce.verifier)
            #expect(jwtClaims(try #require(tokens.json["id_token"]?.stringValue))["https://gatehouse.example/rule_ran"] == true)
            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(user.json["app_metadata"]?["rule_runs"] == .number(1))
        }
    }
}
