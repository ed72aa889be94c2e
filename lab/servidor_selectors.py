"""servidor_selectors.py: un solo hilo, sockets no bloqueantes y `selectors`.

Cómo ejecutarlo:

    py servidor_selectors.py          # 127.0.0.1:8080, hasta Ctrl+C
    py servidor_selectors.py 9000

Un bucle de eventos: el hilo duerme en `select()` hasta que ALGÚN socket
está listo (una conexión nueva, bytes que leer), atiende a todos los listos
y vuelve a dormir. Nunca se queda esperando a un cliente concreto, así que
un cliente lento no hace esperar a los demás, con un único hilo. Es el
modelo de `sockmodes server --mode nonblocking` (mio): `selectors` usa
epoll en Linux, kqueue en macOS y select en Windows.

Cada socket es no bloqueante (setblocking(False)): un recv() sin datos
lanzaría BlockingIOError, pero aquí solo se llama cuando select() dice que
hay datos. Muestra cada mensaje completo cuando su cliente cierra.
"""

import selectors
import socket
import sys


def visible(datos):
    """Los bytes recibidos, como texto que se lee y no se obedece."""
    # Lo que llega de la red se muestra, nunca se obedece: impreso tal cual,
    # un ESC (\x1b) cambiaría el color o el título de tu terminal y un BEL
    # (\x07) lo haría sonar. Como repr(), esto escapa los caracteres de control
    # (\x1b, \x07, \x00, \n) y deja las tildes y la ñ como son; los bytes que no
    # son UTF-8 salen como \xff.
    texto = datos.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in texto)


sel = selectors.DefaultSelector()
mensajes = {}          # socket -> bytes recibidos hasta ahora


def aceptar(servidor_socket):
    conexion, direccion = servidor_socket.accept()     # listo: no bloquea
    conexion.setblocking(False)
    mensajes[conexion] = b""
    sel.register(conexion, selectors.EVENT_READ, data=direccion)


def leer(conexion, direccion):
    try:
        trozo = conexion.recv(1024)                     # listo: no bloquea
    except BlockingIOError:
        return                                          # falsa alarma: nada que leer
    except ConnectionError:
        trozo = b""
    if trozo:
        mensajes[conexion] += trozo
        return
    # b"": el cliente cerró su lado; el mensaje está completo
    texto = visible(mensajes.pop(conexion))
    print(f"{direccion}: {texto}", flush=True)
    sel.unregister(conexion)
    conexion.close()


def servidor(host="127.0.0.1", puerto=8080):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sys.platform != "win32":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, puerto))
    s.listen()
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, data=None)
    print(f"Servidor (un hilo, selectors) escuchando en {host}:{puerto}", flush=True)
    try:
        while True:
            # Espera a que algún socket esté listo (0,5 s como mucho, para Ctrl+C)
            for clave, _ in sel.select(timeout=0.5):
                if clave.data is None:
                    aceptar(clave.fileobj)
                else:
                    leer(clave.fileobj, clave.data)
    except KeyboardInterrupt:
        print("Servidor detenido", flush=True)
    finally:
        sel.close()
        s.close()


if __name__ == "__main__":
    servidor(puerto=int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
