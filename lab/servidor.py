"""servidor.py: el servidor bloqueante de la práctica.

Cómo ejecutarlo (Windows, macOS o Linux, con Python 3 y nada más):

    py servidor.py            # escucha en 127.0.0.1:5050
    py servidor.py 9000       # en otro puerto
    py servidor.py --help

Atiende UNA conexión: acepta, recibe el mensaje hasta que el cliente cierra
su lado, lo muestra y termina. Funciona con `cliente.py`, con
`cliente_lento.py`, con `conectar_no_bloqueante.py` y con
`sockmodes client message "Hola"` (cualquier --mode).

A diferencia de la práctica original, que hace un solo recv(1024), este lee
hasta que recv devuelve b"" (fin del flujo): TCP es un flujo de bytes y un
mensaje puede llegar en varios trozos (pruébalo con cliente_lento.py).

El puerto por defecto es 5050 y no 8080: Wireshark toma el 8080 por HTTP y
muestra el mensaje como «[TCP segment of a reassembled PDU]»; en el 5050 lo
muestra como TCP con sus bytes (Data).
"""

import os
import socket
import sys

from arranque import servir
from mostrar import Mensaje


def servidor(host="127.0.0.1", puerto=5050):
    # Crear un socket TCP/IP
    servidor_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Poder reutilizar el puerto justo después de cerrar (Linux y macOS)
    if sys.platform != "win32":
        servidor_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    # Establecer el socket como bloqueante
    servidor_socket.setblocking(True)

    # Vincular el socket al puerto y escuchar
    servidor_socket.bind((host, puerto))
    servidor_socket.listen(1)
    print(f"Servidor escuchando en {host}:{puerto} (PID {os.getpid()})", flush=True)

    # Esperar a que llegue una conexión: accept() se bloquea aquí (ver aceptar())
    conexion, direccion = aceptar(servidor_socket)
    print(f"Conexión aceptada de {direccion}", flush=True)

    # recv() se bloquea hasta que llegan bytes; b"" significa que el cliente cerró.
    # Mensaje guarda los primeros 64 KiB y cuenta el resto (ver mostrar.py).
    mensaje = Mensaje()
    while True:
        trozo = conexion.recv(1024)
        if not trozo:
            break
        mensaje.anadir(trozo)
    print(f"Mensaje recibido: {mensaje.visible()}", flush=True)

    # Cerrar la conexión y el socket del servidor
    conexion.close()
    servidor_socket.close()


def aceptar(servidor_socket):
    """accept() en tramos de 0,5 s, para que Ctrl+C funcione también en Windows."""
    # En Windows, Python solo atiende Ctrl+C entre dos llamadas: mientras
    # accept() espera sin tiempo de espera, no lo ve hasta que llega un
    # cliente. Con un tiempo de espera de 0,5 s, accept() vuelve a menudo y
    # Ctrl+C llega; quien se conecta no nota nada.
    servidor_socket.settimeout(0.5)
    while True:
        try:
            conexion, direccion = servidor_socket.accept()
        except socket.timeout:
            continue                      # nadie todavía: seguir esperando
        conexion.settimeout(None)         # la conexión, bloqueante
        return conexion, direccion


if __name__ == "__main__":
    servir(servidor, "El servidor bloqueante: atiende UNA conexión, muestra su mensaje y termina.")
