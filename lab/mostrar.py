"""mostrar.py: lo que llega de la red, mostrado y nunca obedecido.

Lo usan los servidores de la práctica (`servidor.py`, `servidor_hilos.py`,
`servidor_selectors.py`, `servidor_asyncio.py`); no se ejecuta solo.

Tres reglas, porque en un aula los compañeros se conectan a tu servidor:

- Un mensaje se guarda hasta GUARDADO bytes y del resto solo se cuentan
  los bytes: un cliente que envía 50 MiB no llena la memoria del servidor.
- Se muestra como lo escribe repr() de Python, sin las comillas: las
  letras con tilde, la ñ y cualquier escritura tal cual; los caracteres de
  control escapados (un ESC impreso tal cual cambiaría el color o el título
  de tu terminal); la barra invertida, doblada (así el texto `\\x1b` que
  escribe alguien no se confunde con un ESC de verdad); los bytes que no
  son UTF-8, como \\xff. Tras MOSTRADOS caracteres se corta, nunca en
  medio de un escape, con `… (+K bytes)`: K bytes no se muestran.
- Se imprime con la codificación de la consola, y lo que esta no puede
  escribir sale escapado (\\u6f22): en Windows con la salida redirigida
  (cp1252) un 漢 no tumba el servidor.
"""

import sys

# Lo que se guarda de un mensaje: el límite del servicio message de
# `sockmodes server`, de sobra para mostrar MOSTRADOS caracteres (4 bytes
# como mucho cada uno en UTF-8).
GUARDADO = 64 * 1024

# Lo que se muestra de un mensaje: unas trece líneas de 80 columnas, así
# que cualquier cosa que alguien teclee se ve entera (como `sockmodes server`).
MOSTRADOS = 1024


class Mensaje:
    """Los bytes de un mensaje según llegan: los primeros GUARDADO, y la cuenta de todos."""

    def __init__(self):
        self.inicio = bytearray()        # crece al final: lineal, no cuadrático
        self.total = 0

    def anadir(self, trozo):
        self.total += len(trozo)
        hueco = GUARDADO - len(self.inicio)
        if hueco > 0:
            self.inicio += trozo[:hueco]

    def visible(self):
        return visible(bytes(self.inicio), self.total)


def visible(datos, total=None):
    """`datos` como texto que se lee y no se obedece; `total`: los bytes del mensaje entero."""
    total = len(datos) if total is None else total
    # surrogateescape: cada byte que no es UTF-8 queda como un carácter
    # U+DC80..U+DCFF, y se escribe luego como \xNN.
    texto = datos.decode("utf-8", errors="surrogateescape")
    partes, caracteres, bytes_mostrados = [], 0, 0
    for c in texto:
        if "\udc80" <= c <= "\udcff":
            trozo, largo = f"\\x{ord(c) - 0xDC00:02x}", 1
        else:
            trozo = c if c.isprintable() and c != "\\" else repr(c)[1:-1]
            largo = len(c.encode("utf-8"))
        if caracteres + len(trozo) > MOSTRADOS:
            break
        partes.append(trozo)
        caracteres += len(trozo)
        bytes_mostrados += largo
    resto = total - bytes_mostrados
    if resto > 0:
        partes.append(f"… (+{resto} {'byte' if resto == 1 else 'bytes'})")
    return "".join(partes)


def preparar_salida():
    """Que imprimir nunca falle: lo que la consola no sabe escribir, escapado."""
    for flujo in (sys.stdout, sys.stderr):
        if flujo is not None and hasattr(flujo, "reconfigure"):
            flujo.reconfigure(errors="backslashreplace")
