"""servidor_hilos.py: un hilo por conexión, con llamadas bloqueantes.

Cómo ejecutarlo:

    py servidor_hilos.py          # 127.0.0.1:5050, hasta Ctrl+C
    py servidor_hilos.py 9000
    py servidor_hilos.py --help

Cada conexión aceptada recibe su propio hilo, que duerme en recv() sin
molestar a los demás: un cliente lento (`cliente_lento.py`) ya no hace
esperar al siguiente (`cliente.py`). Es el modelo de `sockmodes server
--mode blocking`. El precio: un hilo (una pila, cambios de contexto) por
conexión; con miles de conexiones se nota (docs/guia.md, sección 6).

Muestra cada mensaje completo cuando su cliente cierra. Funciona con
`cliente.py`, `cliente_lento.py`, `cliente_no_bloqueante.py` y
`sockmodes client message "Hola"`.
"""

import os
import socket
import threading

from arranque import servir
from mostrar import Mensaje


def atender(conexion, direccion):
    """El hilo de una conexión: recibe hasta el fin del flujo y lo muestra."""
    mensaje = Mensaje()                      # los primeros 64 KiB, y la cuenta (mostrar.py)
    with conexion:
        while True:
            try:
                trozo = conexion.recv(1024)  # solo ESTE hilo espera aquí
            except ConnectionError:
                break                        # el cliente cortó con RST: mostrar lo recibido
            if not trozo:
                break
            mensaje.anadir(trozo)
    print(f"[{threading.current_thread().name}] {direccion}: {mensaje.visible()}", flush=True)


def servidor(host="127.0.0.1", puerto=5050):
    # socket, SO_REUSEADDR (no en Windows), bind y listen: los pasos de servidor.py
    s = socket.create_server((host, puerto))
    print(f"Servidor (un hilo por conexión) escuchando en {host}:{puerto} (PID {os.getpid()})", flush=True)
    # Un tiempo de espera en accept para que Ctrl+C funcione también en
    # Windows: allí Python solo atiende Ctrl+C entre dos llamadas, y un
    # accept() sin tiempo de espera no vuelve hasta que llega un cliente.
    s.settimeout(0.5)
    try:
        while True:
            try:
                conexion, direccion = s.accept()
            except socket.timeout:
                continue
            conexion.settimeout(None)        # la conexión, bloqueante
            threading.Thread(target=atender, args=(conexion, direccion), daemon=True).start()
    finally:
        s.close()


if __name__ == "__main__":
    servir(servidor, "Un hilo por conexión: muestra el mensaje de cada cliente cuando cierra, hasta Ctrl+C.")
