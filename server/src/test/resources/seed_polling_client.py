import requests
import time
import os

API_BASE_URL = os.getenv("ORCHESTRATOR_API_URL", "http://127.0.0.1:8080")
API_KEY = os.getenv("ADMIN_API_KEY", "secret-key")

def run_async_task(bot_id: str, document_url: str):
    headers = {
        "Authorization": f"Bearer {API_KEY}",
        "Content-Type": "application/json"
    }
    initiate_url = f"{API_BASE_URL}/v1/tasks"
    payload = {"command": ["sh", "-c", "echo working; echo '::progress 45'; sleep 2; printf '{\"summary\": \"analyzed %s\"}' \"$DOCUMENT_URL\" > result.json; echo done"], "env": {"DOCUMENT_URL": document_url}, "result": {"path": "result.json"}}

    # 1. Initiate the task
    print(f"Submitting task to analyze: {document_url}")
    response = requests.post(initiate_url, headers=headers, json=payload)

    if response.status_code!= 202:
        print(f"Error initiating task: {response.status_code} - {response.text}")
        return

    status_url = API_BASE_URL + response.headers["Location"]
    print(f"Task accepted. Polling status at: {status_url}")

    # 2. Poll for the result
    while True:
        try:
            status_response = requests.get(status_url, headers=headers)
            status_data = status_response.json()
            current_status = status_data.get("status")

            print(f"  Current status: {current_status}")

            if current_status in {"COMPLETED", "FAILED", "CANCELED"}:
                print("\n--- Task Finished ---")
                print(status_data)
                break
            
            # Wait before polling again
            time.sleep(5)

        except requests.RequestException as e:
            print(f"Error polling status: {e}")
            break

if __name__ == "__main__":
    run_async_task("bot-abc-123", "https://example.com/large-report.pdf")
