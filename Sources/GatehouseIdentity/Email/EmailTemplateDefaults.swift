import GatehouseStorage

/// The built-in templates of the e-mails this server sends, used until the tenant sets its own
/// (`PUT /api/v2/email-templates/{templateName}`). Written in the same Liquid-style variables a
/// tenant's template uses. `welcome_email` is disabled until the tenant enables it, as on Auth0.
public enum EmailTemplateDefaults {
    public static func template(_ name: EmailTemplateName) -> EmailTemplateRecord? {
        switch name {
        case .verifyEmail:
            EmailTemplateRecord(
                template: name.rawValue,
                body: page(
                    "Verify your e-mail address",
                    "<p>Hello {{ user.name }},</p><p>Please confirm that {{ user.email }} is your e-mail address for"
                        + " {{ friendly_name }} by following this link:</p><p><a href=\"{{ url }}\">Verify my e-mail address</a></p>"
                        + "<p>If you did not sign up, you can ignore this message.</p>"),
                subject: "Verify your e-mail address for {{ friendly_name }}", syntax: "liquid", urlLifetimeInSeconds: 432_000,
                includeEmailInRedirect: true, enabled: true)
        case .resetEmail:
            EmailTemplateRecord(
                template: name.rawValue,
                body: page(
                    "Reset your password",
                    "<p>Hello {{ user.name }},</p><p>Someone asked to reset the password of your {{ friendly_name }} account"
                        + " ({{ user.email }}). To choose a new password, follow this link:</p>"
                        + "<p><a href=\"{{ url }}\">Reset my password</a></p>"
                        + "<p>If it was not you, ignore this message: your password stays as it is.</p>"),
                subject: "Reset your password for {{ friendly_name }}", syntax: "liquid", urlLifetimeInSeconds: 432_000,
                includeEmailInRedirect: true, enabled: true)
        case .welcomeEmail:
            EmailTemplateRecord(
                template: name.rawValue,
                body: page(
                    "Welcome", "<p>Hello {{ user.name }},</p><p>Welcome to {{ friendly_name }}! Your account is ready.</p>"),
                subject: "Welcome to {{ friendly_name }}", syntax: "liquid", enabled: false)
        case .blockedAccount:
            EmailTemplateRecord(
                template: name.rawValue,
                body: page(
                    "Your account was blocked",
                    "<p>Hello {{ user.name }},</p><p>We blocked sign-ins to your {{ friendly_name }} account ({{ user.email }})"
                        + " after several failed attempts from the address {{ source_ip }}.</p>"
                        + "<p>To unblock it, follow this link:</p><p><a href=\"{{ url }}\">Unblock my account</a></p>"),
                subject: "Your {{ friendly_name }} account was blocked", syntax: "liquid", urlLifetimeInSeconds: 432_000, enabled: true
            )
        default: nil
        }
    }

    static func page(_ title: String, _ content: String) -> String {
        "<html><body style=\"font-family: sans-serif\"><h1>\(title)</h1>\(content)"
            + "{{#support_email}}<p>Questions? Write to {{ support_email }}.</p>{{/support_email}}</body></html>"
    }
}
