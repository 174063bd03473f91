"""Writes server/aspel/licensing/server/domain/common_passwords.txt.

The password policy refuses a new password when it, or its stem, is in that
list. The stem is what remains after the policy removes spaces, digits and
symbols at both ends, counts a repeated chunk once and undoes leetspeak, so
"Contraseña2024!", "teamoteamoteamo" and "P4ssw0rd-P4ssw0rd" all land on a
listed entry. The list therefore holds stems, not every padding of them: the
favourites of public leaked-password rankings in English and Mexican Spanish,
common first names, football teams and places, everyday Spanish words, the
usual phrases, keyboard walks, digit runs, and words about this very service
(Aspel, its products, "licencia"...). NFC, case-folded, accents kept and also
removed, 3 to 64 characters, one per line, sorted.

Run `python scripts/gen_common_passwords.py` after changing the word lists and
commit the result; `--check` fails when the committed file is stale.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import unicodedata


def _words(text: str) -> list[str]:
    return text.split()


ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "server/aspel/licensing/server/domain/common_passwords.txt"
MIN_LENGTH, MAX_LENGTH = 3, 64

# The perennial favourites of public leaked-password rankings.
ENGLISH = _words("""
password passw0rd p@ssw0rd p@ssword password1 qwerty qwerty123 abc123 letmein welcome
welcome1 monkey dragon football baseball basketball soccer hockey master sunshine princess
shadow superman batman spiderman michael jennifer jordan jordan23 hunter hunter2 trustno1
starwars whatever freedom computer internet iloveyou loveyou lovely love123 charlie
killer ashley bailey buster daniel thomas robert matthew andrew joshua jessica amanda
summer winter autumn spring flower flowers cookie chocolate cheese pepper ginger banana
orange apple purple yellow silver golden diamond secret secret123 hello hello123 helloworld
admin admin123 administrator root toor changeme default guest login access mustang
ferrari porsche harley corvette yankees cowboys eagles steelers lakers chelsea liverpool
arsenal barcelona manchester united america american freedom1 liberty pokemon naruto
minecraft fortnite roblox zelda mario pikachu matrix ninja samurai warrior phoenix
tigger pepper123 snoopy garfield scooby family forever friends friendship angel angels
baby babygirl babyboy sweety sweetheart honey darling lovers loveme iloveu fuckyou
fuckoff asshole bitch sexy hottie money money123 dollar rich success winner qazwsx
zxcvbnm asdfgh asdfghjkl qwertyuiop 1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx q1w2e3r4
jesus christ godisgood god blessed faith heaven prayer trinity grace
""")

SPANISH = _words("""
contraseña contrasena contraseña123 clave miclave clavesecreta secreto password123
teamo teamomucho tequiero tequieromucho amor amorcito miamor mi_amor corazon micorazon
corazón cariño carino mexico méxico mexico123 vivamexico mexicolindo america chivas
chivas123 pumas cruzazul tigres rayados toluca atlas santos guadalupe virgendeguadalupe
mariposa princesa princesita estrella estrellita tesoro bebe bebita gatito perrito
futbol futbolista realmadrid barcelona messi cristiano ronaldo hola hola123 holamundo
holahola familia mifamilia dios diosesamor diosteama jesucristo jesusteama bendiciones
cumpleaños cumpleanos felicidad feliz alegria esperanza libertad amistad amigos amigas
hermano hermana mama papa mamá papá mamita papito abuela abuelo hijo hija hijos
maria mariana fernanda daniela alejandro alejandra guadalupe jose josé juan juanito
carlos luis miguel angel ángel jorge ricardo roberto eduardo francisco javier
gabriela valeria sofia sofía camila andrea monica mónica patricia veronica verónica
chocolate fresita manzana naranja azul rojo verde negro blanco morado rosa dorado
tequila mezcal cerveza tacos pozole mariachi charro aguila águila jaguar leon león
tigre lobo sol luna cielo mar playa montaña primavera verano otoño invierno
usuario usuario123 administrador admin soporte sistemas sistema empresa oficina
contabilidad contador factura facturacion facturación nomina nómina ventas compras
inventario almacen almacén caja banco tesoreria tesorería gerente gerencia direccion
dirección recepcion recepción bienvenido bienvenida acceso entrar ingresar
""")

# This service and its products: the first thing an attacker tries here.
CONTEXT = _words("""
aspel aspelsae aspelcoi aspelnoi aspelcaja aspelbanco aspelfacture aspelprod aspeladm
sae coi noi caja banco facture prod adm miaspel micuentaaspel cuentaaspel mi_cuenta_aspel
licencia licencias licenciamiento numerodeserie número_de_serie suscripcion suscripción
activacion activación renta actualizacion actualización
""")

PHRASES = _words("""
iloveyou iloveyouiloveyou iloveyousomuch iloveyoubaby iloveyoumom iloveyoudad
thisismypassword thisisapassword mypasswordis mynewpassword mysecretpassword
correcthorsebatterystaple letmeinletmein passwordpassword qwertyqwerty welcometomyhome
idontknow idontremember iforgotmypassword forgotpassword changemenow changethispassword
thequickbrownfox thequickbrownfoxjumpsoverthelazydog loremipsum loremipsumdolorsitamet
onetwothreefourfive abcdefghijklmnopqrstuvwxyz abcdefghijklmnop abcdefghijklmno
estaesmicontraseña estaesmicontrasena micontraseñaessegura micontrasenaessegura
contraseñasegura contrasenasegura contraseñanueva contrasenanueva nuevacontraseña
nuevacontrasena minuevacontraseña minuevacontrasena noselacontraseña nomeacuerdo
olvidemicontraseña olvidemicontrasena teamoconelalma teamoconlocura teamoconmivida
teamomuchomiamor tequierotanto tequieromuchisimo erestodoparami mividaeres
diosesamorverdadero diosesbueno diosteamamucho dioslobendiga graciasadios
vivamexicocabrones vivamexico vivaméxico mexicolindoyquerido soymexicano soymexicana
holacomoestas holaatodos buenosdias buenasnoches unodostrestres unodostrescuatro
unodostrescuatrocinco abcdefghijklmnñopqrstuvwxyz
""")

KEYBOARD_WALKS = _words("""
qwertyuiopasdfghjklzxcvbnm qwertyuiopasdfghjkl qwertyuiopasdfgh qwertyuiopasdfg
qwertyuiop123456 qwertyuiop12345 qwertyuiopñlkjhgfdsa asdfghjklñzxcvbnm asdfghjklqwertyuiop
zxcvbnmasdfghjklqwertyuiop zxcvbnmasdfghjkl 1qaz2wsx3edc4rfv 1qaz2wsx3edc4rfv5tgb
1qaz2wsx3edc4rfv5tgb6yhn qazwsxedcrfvtgb qazwsxedcrfvtgbyhn zaq12wsxcde34rfv
zaq1xsw2cde3vfr4 1q2w3e4r5t6y7u8i 1q2w3e4r5t6y7u8i9o0p q1w2e3r4t5y6u7i8 q1w2e3r4t5y6u7i8o9p0
!qaz@wsx#edc$rfv 1qazxsw23edcvfr4 qweasdzxcqweasdzxc poiuytrewqlkjhgfdsa mnbvcxzlkjhgfdsa
""")


NAMES = _words("""
maria jose juan luis carlos jorge miguel pedro francisco javier alejandro antonio manuel
jesus roberto ricardo fernando eduardo daniel david sergio raul rafael arturo alberto
oscar mario victor hector enrique ramon alfredo armando gerardo gustavo ruben salvador
andres adrian diego pablo marco marcos emilio santiago sebastian mateo leonardo emiliano
diego rodrigo cesar hugo ivan angel alan kevin brandon bryan christian cristian
guadalupe juana margarita veronica patricia elizabeth leticia rosa gabriela alejandra
adriana claudia araceli silvia monica martha norma laura yolanda teresa sandra carmen
josefina lucia isabel ana andrea fernanda daniela valeria valentina sofia camila ximena
regina renata natalia mariana paola karla karen jessica jennifer diana sara sarah lupita
lupe pepe paco pancho memo beto toño chuy lalo quique chucho nacho pepito juanito
rosita carmencita anita marianita danielita
john james robert michael william david richard joseph thomas charles christopher daniel
matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george edward
ronald timothy jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin
scott brandon benjamin samuel frank gregory raymond alexander patrick jack dennis jerry
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa betty
margaret sandra ashley kimberly emily donna michelle dorothy carol amanda melissa deborah
stephanie rebecca sharon laura cynthia kathleen amy shirley angela helen anna brenda
pamela nicole emma samantha katherine christine debra rachel catherine carolyn janet
maggie molly lucky buddy max bella daisy coco rocky toby lola luna nala simba chispa
firulais manchas pelusa canela princesa negrito guero guera flaca gordo gorda chata
""")

TEAMS_AND_PLACES = _words("""
chivas chivasrayadas americanista aguilas pumasunam pumas cruzazul maquina tigres
rayados monterrey toluca diablos atlas santos laguna pachuca tuzos leon puebla necaxa
tijuana xolos queretaro gallos juarez bravos mazatlan sanluis tecos realmadrid
madrid barcelona barca atletico juventus milan inter bayern chelsea arsenal liverpool
manchester united boca river messi ronaldo cristiano neymar mbappe chicharito
hernandez guardado ochoa jimenez lozano chucky pelé maradona
mexico cdmx df chilangos guadalajara jalisco tapatio monterrey nuevoleon puebla
veracruz oaxaca chiapas yucatan merida cancun acapulco tijuana sonora sinaloa culiacan
chihuahua durango zacatecas michoacan morelia morelos cuernavaca queretaro hidalgo
guanajuato leon aguascalientes colima nayarit tabasco campeche quintanaroo
tamaulipas coahuila saltillo toluca texcoco tlaxcala tepito coyoacan iztapalapa
""")

WORDS_ES = _words("""
hola adios amor amigo amiga vida muerte cielo infierno angel demonio diablo dios
casa hogar perro gato gata caballo tigre leon lobo aguila halcon dragon serpiente
sol luna estrella mar rio montaña bosque flor rosa lirio jazmin girasol tulipan
rojo azul verde amarillo negro blanco gris morado rosa cafe naranja dorado plateado
uno dos tres cuatro cinco seis siete ocho nueve diez cien mil millon
lunes martes miercoles jueves viernes sabado domingo enero febrero marzo abril mayo
junio julio agosto septiembre octubre noviembre diciembre
trabajo escuela oficina empresa negocio dinero plata lana billete rico millonario
secreto clave llave puerta entrada salida acceso permiso seguro segura seguridad
nuevo nueva viejo vieja grande chico pequeño bonito bonita hermoso hermosa lindo linda
guapo guapa feo fea fuerte debil rapido lento feliz triste loco loca locura
comida tacos tortas tamales pozole mole enchiladas quesadilla chile salsa pizza
cerveza tequila mezcal vino whisky coca cocacola pepsi cafe chocolate dulce pastel
musica guitarra piano rock metal cumbia salsa bachata reggaeton banda norteño mariachi
futbol beisbol basquetbol boxeo lucha luchador campeon ganador victoria gloria
computadora internet celular telefono correo usuario sistema sistemas soporte tecnico
contabilidad contador contadora factura facturas facturacion nomina nominas inventario
almacen ventas compras cliente clientes proveedor banco bancos tesoreria gerente
director direccion administracion administrador admin jefe jefa patron
mama papa mami papi mamita papito abuela abuelo abuelita abuelito hijo hija hijos
hermano hermana primo prima tio tia esposo esposa novio novia bebe nene nena
teamo tequiero teadoro miamor mivida micielo mirey mireina cariño carino corazon
amorcito amorsito cosita bombon chiquita chiquito mamacita papacito preciosa precioso
tesoro mitesoro princesa principe reina rey
contraseña contrasena clave miclave password pass
bienvenido bienvenida bienvenidos entrar ingresar inicio comenzar
""")

PHRASES_MORE = _words("""
teamomivida teamomiamor teamomucho teamoconlocura teamomas teamoamor teamobebe
tequieromucho tequieromama tequieropapa tequieroamor teadoromiamor
mivida miamor micielo mireina mirey mitesoro mibebe minena minene micorazon
holamundo holaamigo holaamor holacomoestas holamiamor
diosteama diosesamor diosesbueno dioslobendiga diosmeguia diosconmigo graciasdios
graciasadios bendicionesdedios jesusteama jesusesamor jesuseselseñor
vivamexico vivaelamor vivalavida vivachivas vivaelamerica arribaelamerica
soymexicano soymexicana mexicolindo mexicolindoyquerido orgullomexicano
unodostres unodostrescuatro unodostrescuatrocinco abcdef abcdefg abcdefgh
estaesmicontraseña micontraseña micontraseñasegura contraseñasegura contraseñanueva
nuevacontraseña miclavesecreta clavesecreta claveacceso clavedeacceso noselaclave
olvidemicontraseña nomeacuerdo noseme nolase nosequeponer cualquiercosa
iloveyou iloveyousomuch iloveyoubaby iloveyoumom iloveyoudad iloveu iluvu
thisismypassword thisisapassword mypassword mynewpassword mysecretpassword
secretpassword newpassword oldpassword strongpassword securepassword superpassword
correcthorsebatterystaple letmein letmeinplease openthedoor opensesame
idontknow idontremember iforgot iforgotmypassword forgotpassword
changeme changemenow changethis changethispassword
thequickbrownfox thequickbrownfoxjumpsoverthelazydog loremipsum loremipsumdolorsitamet
onetwothree onetwothreefour onetwothreefourfive abcdefghijklmnopqrstuvwxyz
abcdefghijklmnñopqrstuvwxyz helloworld hellokitty welcomehome welcometomyhome
godisgood godisgreat godisaliv jesuslovesme jesuschrist blessed
""")


def _digit_runs() -> set[str]:
    """Digit-only favourites: runs up and down from any start, and repeated chunks."""
    runs: set[str] = set()
    ascending = "1234567890" * 7
    descending = "0987654321" * 7
    for start in range(10):
        for length in range(6, MAX_LENGTH + 1):
            runs.add(ascending[start : start + length])
            runs.add(descending[start : start + length])
    for chunk in (
        "12",
        "123",
        "1234",
        "12345",
        "123456",
        "69",
        "007",
        "2580",
        "147258369",
        "159753",
        "741852963",
        "123321",
        "112233",
        "121212",
        "1q2w3e",
    ):
        for times in range(1, 30):
            runs.add(chunk * times)
    return runs


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().replace("_", "")


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    )


def generate() -> list[str]:
    entries: set[str] = set()
    for group in (
        ENGLISH,
        SPANISH,
        CONTEXT,
        NAMES,
        TEAMS_AND_PLACES,
        WORDS_ES,
        PHRASES,
        PHRASES_MORE,
        KEYBOARD_WALKS,
    ):
        for word in group:
            entries.add(_normal(word))
            entries.add(_unaccented(_normal(word)))
    # The favourite "love" prefixes glued to a name: "teamojuan", "mivida maria".
    for prefix in ("teamo", "tequiero", "iloveyou", "ilove", "mi", "amor", "love"):
        for name in NAMES:
            entries.add(prefix + _normal(name))
    # A service word glued to a favourite: "aspel2password", "saeadmin".
    for context in CONTEXT:
        for other in (
            "password",
            "contraseña",
            "contrasena",
            "clave",
            "admin",
            "usuario",
            "soporte",
            "sistema",
            "empresa",
        ):
            entries.add(_normal(context) + other)
            entries.add(other + _normal(context))
    entries |= _digit_runs()
    return sorted(e for e in entries if MIN_LENGTH <= len(e) <= MAX_LENGTH)


def render(passwords: list[str]) -> str:
    header = (
        "# Common passwords and password stems refused by domain/password_policy.py\n"
        "# (NFC, case-folded). The policy also compares a password with its digits and\n"
        "# symbols at both ends removed, with a repeated chunk counted once, and with\n"
        "# leetspeak undone. Generated by scripts/gen_common_passwords.py; do not edit.\n"
    )
    return header + "\n".join(passwords) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when the list is stale")
    args = parser.parse_args()
    text = render(generate())
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale; run scripts/gen_common_passwords.py")
            return 1
        print("The common-password list is fresh.")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {text.count(chr(10)) - 4} passwords")
    return 0


if __name__ == "__main__":
    sys.exit(main())
