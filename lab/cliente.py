"""cliente.py: el cliente bloqueante de la práctica.

Cómo ejecutarlo (en otro terminal, con el servidor ya en marcha):

    py cliente.py                     # envía "Hola, servidor!" a 127.0.0.1:8080
    py cliente.py 9000 "otro texto"   # otro puerto y otro mensaje

Funciona con `servidor.py`, `servidor_hilos.py`, `servidor_selectors.py` y
con `sockmodes server` (servicio message, cualquier --mode).

Si lo ejecutas ANTES que el servidor, connect() falla (en Linux en el acto;
en Windows tras unos 2 s, porque vuelve a enviar el SYN) con
ConnectionRefusedError ([WinError 10061] en Windows, [Errno 111] en Linux,
[Errno 61] en macOS): nadie escucha en el puerto y el sistema responde al
SYN con un RST. Mira ese RST en Wireshark (docs/guia.md, sección 2).
"""

import socket
import sys


def cliente(mensaje, host="127.0.0.1", puerto=8080):
    # Crear un socket TCP/IP
    cliente_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

    # Establecer el socket como bloqueante
    cliente_socket.setblocking(True)

    # Conectar el socket al servidor: se bloquea hasta que termina el saludo en tres pasos
    cliente_socket.connect((host, puerto))
    print(f"Conectado a {host}:{puerto}", flush=True)

    # Enviar el mensaje al servidor
    cliente_socket.sendall(mensaje.encode())

    # Cerrar el socket del cliente: el servidor ve el fin del mensaje
    cliente_socket.close()
    print(f"Mensaje enviado al servidor: {mensaje}", flush=True)


if __name__ == "__main__":
    puerto = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    texto = sys.argv[2] if len(sys.argv) > 2 else "Hola, servidor!"
    cliente(texto, puerto=puerto)
