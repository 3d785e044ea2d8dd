extension PageMessages {
    /// The French catalogue. A message missing here is shown in English.
    static let french: [PageMessage: String] = [
        .showPassword: "Afficher le mot de passe", .show: "Afficher", .hide: "Masquer", .logo: "Logo",
        .logIn: "Se connecter", .logInTo: "Se connecter à {0}", .signUp: "Créer un compte",
        .createAccount: "Créez votre compte", .createAccountFor: "Créez votre compte pour {0}",
        .usernameOrEmailLabel: "Adresse e-mail ou nom d’utilisateur", .emailLabel: "Adresse e-mail",
        .usernameLabel: "Nom d’utilisateur", .passwordLabel: "Mot de passe", .continueButton: "Continuer",
        .noAccount: "Vous n’avez pas de compte ?", .haveAccount: "Vous avez déjà un compte ?",
        .passwordRulesIntro: "Votre mot de passe doit comporter :",
        .enterEmailAndPassword: "Saisissez votre adresse e-mail et votre mot de passe.",
        .wrongCredentials: "Adresse e-mail ou mot de passe incorrect.",
        .accountBlocked: "Ce compte est bloqué. Contactez votre administrateur.",
        .tooManyAttempts:
            "Trop de tentatives de connexion échouées : les connexions à ce compte depuis votre réseau sont bloquées. Contactez votre administrateur pour lever le blocage.",
        .suspiciousIP:
            "Nous avons détecté un comportement de connexion suspect : les prochaines tentatives seront bloquées. Contactez l’administrateur.",
        .accountExists: "Un compte existe déjà avec cette adresse e-mail. Connectez-vous plutôt.",
        .invalidEmail: "Saisissez une adresse e-mail valide.",
        .passwordTooLong:
            "Ce mot de passe est trop long : choisissez-en un d’au plus {0} octets ({0} lettres sans accents ; moins avec des lettres accentuées ou des émojis).",
        .tooManySignups: "Trop d’inscriptions depuis votre réseau. Patientez une minute et réessayez.",
        .signupUnavailable: "L’inscription n’est pas disponible pour cette application.",
        .sessionExpired: "Votre session de connexion a expiré",
        .sessionExpiredHelp: "Ce lien de connexion n’est plus valide. Revenez à l’application et recommencez la connexion.",
        .signupDisabled: "L’inscription est désactivée", .signupDisabledHelp: "Demandez un compte à votre administrateur.",
        .invalidLoginForm: "Formulaire de connexion non valide",
        .invalidLoginFormHelp:
            "Le formulaire a expiré ou n’a pas été envoyé depuis la page de connexion de ce navigateur. Recommencez la connexion.",
        .invalidSignupForm: "Formulaire d’inscription non valide",
        .invalidSignupFormHelp:
            "Le formulaire a expiré ou n’a pas été envoyé depuis la page d’inscription de ce navigateur. Recommencez.",
        .ruleLengthAtLeast: "Au moins {0} caractères", .ruleContains: "Contenir :",
        .ruleContainsAtLeast: "Contenir au moins {0} des {1} types de caractères suivants :",
        .ruleLowerCase: "des lettres minuscules (a-z)", .ruleUpperCase: "des lettres majuscules (A-Z)",
        .ruleNumbers: "des chiffres (0-9)", .ruleSpecialCharacters: "des caractères spéciaux (par ex. !@#$%^&*)",
        .ruleIdenticalChars: "Pas plus de {0} caractères identiques à la suite (par ex. « {1} » n’est pas accepté)",
        .error: "Erreur", .errorHeading: "Un problème est survenu",
        .errorHelp:
            "Si vous avez suivi un lien depuis une application, revenez-y et réessayez. Son administrateur peut corriger la configuration indiquée ci-dessus.",
        .changePasswordTitle: "Changez votre mot de passe", .resetFor: "Pour {0}.", .resetForAt: "Pour {0} sur {1}.",
        .newPasswordLabel: "Nouveau mot de passe", .confirmPasswordLabel: "Saisissez-le à nouveau",
        .changePasswordButton: "Changer le mot de passe",
        .passwordsDiffer: "Les deux mots de passe sont différents. Saisissez deux fois le nouveau mot de passe.",
        .passwordChanged: "Mot de passe changé",
        .passwordChangedMessage: "Votre mot de passe a été changé. Vous pouvez maintenant vous connecter avec le nouveau mot de passe.",
        .verifyEmailTitle: "Vérifiez votre adresse e-mail", .verifyEmailButton: "Vérifier mon adresse e-mail",
        .emailVerified: "Adresse e-mail vérifiée",
        .emailVerifiedMessage: "Votre adresse e-mail a été vérifiée. Vous pouvez continuer à utiliser l’application.",
        .loggedOutHeading: "Vous êtes déconnecté", .loggedOutMessage: "Vous pouvez fermer cette fenêtre.",
    ]
}
