import Foundation
import GatehouseCore
import Hummingbird
import Testing

@Suite("Hosted pages in the page's language: ui_locales for a login, Accept-Language elsewhere, English otherwise")
struct HostedPageLanguageTests {
    @Test("ui_locales=fr at /authorize: the login page, its errors and the sign-up page are in French, <html lang=\"fr\">")
    func frenchLogin() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp(name: "Acme Portal")
            try await fixtures.createUser()
            let page = try await HostedPageBrandingTests.loginPage(client, app: app, extra: "&ui_locales=de%20fr-CA%20en")
            #expect(page.text.contains(#"<html lang="fr">"#), "\(page.text)")
            #expect(page.text.contains("<title>Se connecter</title>"))
            #expect(page.text.contains("<h1>Se connecter à Acme Portal</h1>"))
            #expect(page.text.contains(#"<label for="password">Mot de passe</label>"#))
            #expect(page.text.contains(#"aria-label="Afficher le mot de passe""#))
            #expect(page.text.contains("Vous n’avez pas de compte ?"))
            for english in ["Log in", "Password<", ">Continue<", "Show password", "Sign up"] {
                #expect(!page.text.contains(english), "no English left: \(english)")
            }

            let state = try #require(page.hiddenInput("state"))
            let wrong = try await client.form(
                "/u/login?state=\(state)",
                ["state": state, "_csrf": page.hiddenInput("_csrf") ?? "", "username": "jane@example.com", "password": "nope"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("Adresse e-mail ou mot de passe incorrect."), "\(wrong.text)")

            let signup = try await client.request(.get, "/u/signup?state=\(state)")
            #expect(signup.text.contains(#"<html lang="fr">"#) && signup.text.contains("<title>Créer un compte</title>"))
            #expect(signup.text.contains("Créez votre compte pour Acme Portal") && signup.text.contains("Au moins 8 caractères"))
        }
    }

    @Test("no supported ui_locales: English, whatever the browser says (the application chose)")
    func englishFallback() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let page = try await HostedPageBrandingTests.loginPage(
                client, app: app, extra: "&ui_locales=ja", headers: [.acceptLanguage: "fr"])
            #expect(page.text.contains(#"<html lang="en">"#) && page.text.contains(#"<label for="password">Password</label>"#))
        }
    }

    @Test("a page without a login transaction follows Accept-Language: the expired-login error page in French")
    func errorPageFromAcceptLanguage() async throws {
        try await TestServer.run { client in
            let french = try await client.request(
                .get, "/u/login?state=unknown", headers: [.acceptLanguage: "de-DE;q=0.9, fr;q=0.8, en;q=0.5"])
            #expect(french.status == .badRequest)
            #expect(french.text.contains(#"<html lang="fr">"#) && french.text.contains("Votre session de connexion a expiré"))
            #expect(french.text.contains("Un problème est survenu") && french.text.contains("Si vous avez suivi un lien"))
            let english = try await client.request(.get, "/u/login?state=unknown", headers: [.acceptLanguage: "fr;q=0, en"])
            #expect(english.text.contains(#"<html lang="en">"#) && english.text.contains("Your login session has expired"))
        }
    }
}
