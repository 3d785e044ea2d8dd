import Foundation
import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("E-mail templates: Auth0's Liquid-style variables rendered with Mustache; Liquid tags and filters refused at save")
struct EmailTemplateTests {
    static let variables: JSONValue = .object([
        "user": .object(["email": "jane@example.com", "name": "Jane <Doe> & Co", "user_metadata": .object(["plan": "pro"])]),
        "application": .object(["name": "My App"]), "url": "https://id.example/verify?ticket=a&b=c", "friendly_name": "Example",
    ])

    @Test("variables with spaces inside the braces, dotted paths; HTML bodies escape values, subjects do not")
    func rendering() throws {
        let html = try EmailTemplateRenderer.render(
            "<p>Hi {{ user.name }} ({{user.email}}) of {{ application.name }}, plan {{ user.user_metadata.plan }}:"
                + " <a href=\"{{ url }}\">go</a>{{ missing }}</p>", variables: Self.variables, html: true)
        #expect(
            html == "<p>Hi Jane &lt;Doe&gt; &amp; Co (jane@example.com) of My App, plan pro:"
                + " <a href=\"https://id.example/verify?ticket=a&amp;b=c\">go</a></p>", "\(html)")
        let subject = try EmailTemplateRenderer.render(
            "Welcome {{ user.name }} to {{ friendly_name }}", variables: Self.variables, html: false)
        #expect(subject == "Welcome Jane <Doe> & Co to Example")
        let section = try EmailTemplateRenderer.render(
            "{{#user.name}}Dear {{ user.name }}{{/user.name}}{{^user.nickname}}, no nickname{{/user.nickname}}", variables: Self.variables,
            html: false)
        #expect(section == "Dear Jane <Doe> & Co, no nickname")
    }

    @Test("Liquid tags, filters and broken templates are refused with a message that says what to write instead")
    func validation() {
        let cases: [(String, String)] = [
            ("{% if user.name %}Hi{% endif %}", "Liquid tag"), ("{{ user.name | upcase }}", "Liquid filter"),
            ("{{#user.name}}unclosed", "not a valid template"),
        ]
        for (text, expected) in cases {
            #expect(throws: EmailTemplateRenderer.Invalid.self) { try EmailTemplateRenderer.validate(text, field: "body") }
            do {
                try EmailTemplateRenderer.validate(text, field: "body")
            } catch {
                #expect(error.message.contains(expected), "\(text): \(error.message)")
            }
        }
        #expect(throws: Never.self) { try EmailTemplateRenderer.validate("<p>{{ user.email }} {{{ url }}}</p>", field: "body") }
    }

    @Test("the plain-text alternative keeps words and links, drops tags and decodes entities")
    func plainText() {
        let text = EmailTemplateRenderer.plainText(
            fromHTML: "<html><head><style>p{}</style></head><body><h1>Title</h1><p>Hello &amp; welcome,</p>"
                + "<p><a href=\"https://x.example/v?a=1&amp;b=2\">Verify</a></p></body></html>")
        #expect(text == "Title\nHello & welcome,\nVerify (https://x.example/v?a=1&b=2)\n", "\(text)")
    }

    @Test("built-in defaults exist for the four templates this server sends, and parse")
    func defaults() throws {
        for name in EmailTemplateName.sent {
            let template = try #require(EmailTemplateDefaults.template(name))
            try EmailTemplateRenderer.validate(template.body ?? "", field: "body")
            try EmailTemplateRenderer.validate(template.subject ?? "", field: "subject")
        }
        #expect(EmailTemplateDefaults.template(.welcomeEmail)?.enabled == false)
        #expect(EmailTemplateDefaults.template(.mfaOOBCode) == nil)
    }
}
