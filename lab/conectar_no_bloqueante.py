"""conectar_no_bloqueante.py: connect() sin esperar, paso a paso.

Cómo ejecutarlo:

    py conectar_no_bloqueante.py              # a 127.0.0.1:5050, con un servidor en marcha
    py conectar_no_bloqueante.py 9000 "Hola"  # otro puerto y otro mensaje
    py conectar_no_bloqueante.py --help

Sin servidor, muestra el rechazo por el camino no bloqueante.

Un socket bloqueante se queda dormido en connect() hasta que termina el
saludo en tres pasos (SYN, SYN-ACK, ACK). Con setblocking(False), connect()
vuelve en el acto, antes de que llegue el SYN-ACK, y lo dice con una
excepción, BlockingIOError:

- en Windows, [WinError 10035] (WSAEWOULDBLOCK, «la operación no pudo
  completarse inmediatamente»);
- en Linux, [Errno 115] Operation now in progress (EINPROGRESS; en macOS,
  el 36).

No es un fallo: la conexión sigue en curso. Para saber cuándo termina, se
pide al sistema que avise cuando el socket se pueda escribir (selectors).
Entonces getsockopt(SOL_SOCKET, SO_ERROR) dice cómo terminó: 0 si se
conectó, o el error; sin nadie en el puerto, ECONNREFUSED ([Errno 111] en
Linux, 10061 en Windows), el mismo que lanza connect() en `cliente.py`.
Solo entonces se envía el mensaje.
"""

import errno
import os
import selectors
import socket
import sys
import time

from arranque import opciones_de_cliente


def describir(codigo):
    """Un número de error como nombre y texto: 115 -> "EINPROGRESS: Operation now in progress"."""
    nombre = errno.errorcode.get(codigo, "?")
    if sys.platform == "win32":
        import ctypes                               # el texto de Windows para un código WSA
        texto = ctypes.FormatError(codigo)
    else:
        texto = os.strerror(codigo)
    return f"{nombre}: {texto}"


def conectar(mensaje, host="127.0.0.1", puerto=5050, espera=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)                            # igual que s.settimeout(0.0)

    # 1. connect() no espera al saludo en tres pasos: envía el SYN y vuelve.
    inicio = time.monotonic()
    try:
        s.connect((host, puerto))
        print("connect() terminó en el acto (sin excepción)", flush=True)
    except BlockingIOError as e:
        # Lo que vería el estudiante sin el try: el mismo tipo de excepción
        # que un recv() no bloqueante sin datos.
        windows = f" [WinError {e.winerror}]" if getattr(e, "winerror", None) else ""
        print(f"connect() lanzó BlockingIOError{windows}: errno {e.errno} "
              f"({describir(e.errno)}); la conexión sigue en curso", flush=True)

    # 2. Esperar a que el socket se pueda escribir: el saludo en tres pasos
    # ha terminado, bien o mal. (En Windows un connect() fallido se avisa
    # como «error», no como «escribible»; selectors lo junta con lo
    # escribible, así que este código vale en los dos sistemas.)
    with selectors.DefaultSelector() as sel:
        sel.register(s, selectors.EVENT_WRITE)
        listos = sel.select(timeout=espera)
    ms = f"{(time.monotonic() - inicio) * 1000:.1f}".replace(".", ",")
    if not listos:
        s.close()
        raise TimeoutError(f"el saludo en tres pasos con {host}:{puerto} no terminó en {espera:g} s")

    # 3. SO_ERROR dice cómo terminó: 0, conectado; si no, el error de connect().
    codigo = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    print(f"selectors: el socket se puede escribir tras {ms} ms; "
          f"SO_ERROR = {codigo} ({describir(codigo) if codigo else 'conectado'})", flush=True)
    if codigo:
        s.close()
        # OSError elige la subclase por el código: ConnectionRefusedError para ECONNREFUSED.
        raise OSError(codigo, describir(codigo))
    print(f"Conectado a {host}:{puerto}", flush=True)

    # 4. Enviar sin bloquear: send() escribe lo que cabe en el búfer; si no
    # cabe nada, esperar otra vez a poder escribir.
    datos = memoryview(mensaje.encode())
    with selectors.DefaultSelector() as sel:
        sel.register(s, selectors.EVENT_WRITE)
        while datos:
            try:
                datos = datos[s.send(datos):]
            except BlockingIOError:
                sel.select(timeout=espera)
    s.close()
    print(f"Mensaje enviado al servidor: {mensaje}", flush=True)


if __name__ == "__main__":
    args = opciones_de_cliente(
        "connect() no bloqueante: BlockingIOError, selectors y SO_ERROR; "
        "después envía un mensaje.").parse_args()
    conectar(args.mensaje, puerto=args.puerto)
