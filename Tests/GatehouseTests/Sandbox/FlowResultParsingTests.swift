import Foundation
import GatehouseCore
import Testing

@testable import GatehouseSandbox

@Suite("Sandbox: reading the runner's result frames") struct FlowResultParsingTests {
    @Test("every member of a result frame is read, whatever its order; unknown members are skipped")
    func complete() throws {
        let frame = #"""
            { "id": 7, "type": "result", "future": {"a": [1, {"b": null}]}, "status": "suspended",
              "actions": [
                {"commands": [{"args": ["https://x/\"q\"", {"n": 1.5, "l": [true, false]}], "method": "api.idToken.setCustomClaim"}],
                 "name": "first", "version_id": 12, "duration_ms": 0.25, "logs": "line\n", "error": null},
                {"name": "second", "version_id": "v2", "duration_ms": 1, "logs": "", "commands": [],
                 "error": {"name": "TypeError", "message": "x is not a function", "stack": "at actions/second.js:1", "class": "action_error", "code": null}}
              ],
              "suspended": {"action_index": 1, "method": "api.redirect.sendUserTo", "args": ["https://example.com"]},
              "error": {"name": "PlatformError", "message": "stopped", "class": "platform_error"},
              "recycle": true, "state": {"event": {"user": {}}, "transient": []} }
            """#
        let (flow, recycle) = try #require(FlowResult.parse(runnerFrame: Array(frame.utf8), answering: 7))
        #expect(recycle)
        #expect(flow.status == .suspended)
        #expect(flow.actions.count == 2)
        #expect(flow.actions[0].name == "first")
        #expect(flow.actions[0].version_id == 12)
        #expect(flow.actions[0].duration_ms == 0.25)
        #expect(flow.actions[0].logs == "line\n")
        #expect(flow.actions[0].error == nil)
        let claim: JSONValue = .object(["n": .number(1.5), "l": .array([true, false])])
        #expect(flow.actions[0].commands == [Command(method: "api.idToken.setCustomClaim", args: ["https://x/\"q\"", claim])])
        #expect(flow.actions[1].version_id == "v2")
        #expect(
            flow.actions[1].error
                == ActionError(name: "TypeError", message: "x is not a function", stack: "at actions/second.js:1", class: "action_error"))
        #expect(flow.suspended?.action_index == 1)
        #expect(flow.suspended?.method == "api.redirect.sendUserTo")
        #expect(flow.suspended?.args == ["https://example.com"])
        #expect(flow.error?.class == "platform_error")
        #expect(flow.state?["transient"] == .array([]))
    }

    @Test("a frame that is not a result, answers another request, is not JSON, truncated or followed by more text is refused")
    func refused() {
        let good = #"{"type":"result","id":1,"status":"completed","actions":[],"suspended":null}"#
        #expect(FlowResult.parse(runnerFrame: Array(good.utf8), answering: 1)?.flow.status == .completed)
        #expect(FlowResult.parse(runnerFrame: Array(good.utf8), answering: 2) == nil)
        for bad in [
            #"{"type":"result","status":"completed","actions":[]}"#,
            #"{"type":"result","id":"1","status":"completed","actions":[]}"#,
            #"{"type":"pong","id":1}"#,
            #"{"type":"result","id":1,"status":"exploded","actions":[]}"#,
            #"{"type":"result","id":1,"status":"completed"}"#,
            #"{"type":"result","status":"completed","actions":[{"version_id":"v"}]}"#,
            #"{"type":"result","status":"completed","actions":[{"name":"a","commands":[{"args":[]}]}]}"#,
            String(good.dropLast()),
            good + " {}",
            "not json",
            "",
        ] {
            #expect(FlowResult.parse(runnerFrame: Array(bad.utf8), answering: 1) == nil, "\(bad)")
        }
    }
}
