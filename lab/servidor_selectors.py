"""servidor_selectors.py: un solo hilo, sockets no bloqueantes y `selectors`.

Cómo ejecutarlo:

    py servidor_selectors.py          # 127.0.0.1:5050, hasta Ctrl+C
    py servidor_selectors.py 9000
    py servidor_selectors.py --help

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

import os
import selectors
import socket

from arranque import servir
from mostrar import Mensaje


sel = selectors.DefaultSelector()
mensajes = {}          # socket -> Mensaje: lo recibido hasta ahora (mostrar.py)


def aceptar(servidor_socket):
    try:
        conexion, direccion = servidor_socket.accept() # listo: no bloquea
    except (BlockingIOError, ConnectionError):
        return                                          # el cliente se fue antes de aceptarlo
    conexion.setblocking(False)
    mensajes[conexion] = Mensaje()
    sel.register(conexion, selectors.EVENT_READ, data=direccion)


def leer(conexion, direccion):
    try:
        trozo = conexion.recv(1024)                     # listo: no bloquea
    except BlockingIOError:
        return                                          # falsa alarma: nada que leer
    except ConnectionError:
        trozo = b""
    if trozo:
        mensajes[conexion].anadir(trozo)    # añadir al final: lineal (bytes += copiaría todo)
        return
    # b"": el cliente cerró su lado; el mensaje está completo
    texto = mensajes.pop(conexion).visible()
    print(f"{direccion}: {texto}", flush=True)
    sel.unregister(conexion)
    conexion.close()


def servidor(host="127.0.0.1", puerto=5050):
    # socket, SO_REUSEADDR (no en Windows), bind y listen: los pasos de servidor.py
    s = socket.create_server((host, puerto))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, data=None)
    print(f"Servidor (un hilo, selectors) escuchando en {host}:{puerto} (PID {os.getpid()})", flush=True)
    try:
        while True:
            # Espera a que algún socket esté listo (0,5 s como mucho, para Ctrl+C)
            for clave, _ in sel.select(timeout=0.5):
                if clave.data is None:
                    aceptar(clave.fileobj)
                else:
                    leer(clave.fileobj, clave.data)
    finally:
        sel.close()
        s.close()


if __name__ == "__main__":
    servir(servidor, "Un solo hilo y selectors: muestra el mensaje de cada cliente cuando cierra, hasta Ctrl+C.")
