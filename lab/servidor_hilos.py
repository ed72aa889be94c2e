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

import argparse
import os
import socket
import sys
import threading

from mostrar import Mensaje, preparar_salida


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
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sys.platform != "win32":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, puerto))
    s.listen()
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
    preparar_salida()
    opciones = argparse.ArgumentParser(
        description="Un hilo por conexión: muestra el mensaje de cada cliente cuando cierra, hasta Ctrl+C.")
    opciones.add_argument("puerto", nargs="?", type=int, default=5050,
                          help="el puerto en el que escucha (por defecto, 5050)")
    args = opciones.parse_args()
    if not 0 < args.puerto < 65536:
        opciones.error(f"el puerto va de 1 a 65535, no {args.puerto}")
    try:
        servidor(puerto=args.puerto)
    except KeyboardInterrupt:                    # Ctrl+C, también nada más arrancar
        print("Servidor detenido", flush=True)
