import Foundation
import GatehouseCore

/// The only script of the hosted pages: it reveals the "Show" button next to each password
/// field (hidden in the markup, so a page without JavaScript shows no dead button) and switches
/// the field between hidden and plain text, keeping `aria-pressed` in step. It is written into
/// the page inline and allowed by its SHA-256 hash in the Content-Security-Policy, so no other
/// inline script, injected or not, can run.
enum PasswordToggleScript {
    static let source = """
        document.querySelectorAll("button[data-reveals]").forEach(function (button) {
          var field = document.getElementById(button.getAttribute("data-reveals"));
          if (!field) { return; }
          button.hidden = false;
          button.addEventListener("click", function () {
            var reveal = field.type === "password";
            field.type = reveal ? "text" : "password";
            button.setAttribute("aria-pressed", reveal ? "true" : "false");
          });
        });
        """

    /// The CSP source that allows exactly `source`: `'sha256-<base64>'`.
    static let hashSource: String = {
        let hex = Array(SecretComparison.digest(source).utf8)
        let bytes = stride(from: 0, to: hex.count, by: 2).compactMap { UInt8(String(decoding: hex[$0...$0 + 1], as: UTF8.self), radix: 16) }
        return "'sha256-" + Data(bytes).base64EncodedString() + "'"
    }()
}
